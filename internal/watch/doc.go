// Package watch is the watcher: it checks watched Plume locations within a request budget,
// detects changes, and hands alerts to the chat side; one replica checks at a time (a lease).
package watch
