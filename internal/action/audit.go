package action

// Stage is the moment of an action's life an Event records.
type Stage string

// Audit stages, in the order an action lives them.
const (
	StageRequest Stage = "request" // asked for: Result "asked", or why it was refused
	StageConfirm Stage = "confirm" // the confirmation was pressed: "confirmed", or why it did nothing
	StageCancel  Stage = "cancel"  // ✖ pressed
	StageExpiry  Stage = "expiry"  // nobody confirmed within the TTL
	StageOutcome Stage = "outcome" // Plume's answer ("accepted", "error:<kind>"), then the follow-through's end
)

// Event is one audit record: who, in which chat, did what to which target, and what came of it.
// It holds IDs and labels only: no credential, no Plume text.
type Event struct {
	Stage  Stage
	Kind   Kind
	UserID int64
	ChatID int64
	Target Target
	// Result is a label: asked, confirmed, cancelled, expired, accepted, error:<kind>, a
	// refusal reason (denied, cooldown, limit, …), or the follow-through's end (back,
	// not_back, result, failed, no_result, requested).
	Result string
	// PlumeStatus is the HTTP status Plume answered the action (0: none, or not sent).
	PlumeStatus int
}
