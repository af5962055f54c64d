// Package bench is plumebot's end-to-end benchmark: the real bot, Telegram adapter, fake Bot
// API and Plume simulator under load, reported as text or JSON (cmd/plumebench runs it).
package bench
