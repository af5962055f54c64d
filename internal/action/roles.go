package action

// Role is what a user may do. Every user the bot lets in is at least a Viewer; the roles above
// come from configuration only, so with none configured nobody can act (deny by default).
type Role int

// Roles, weakest first.
const (
	Viewer  Role = iota // the read commands
	Support             // PLUMEBOT_SUPPORT_USERS: the actions too
	Admin               // PLUMEBOT_ADMINS: everything, without the per-user limit
)

func (r Role) String() string {
	switch r {
	case Support:
		return "support"
	case Admin:
		return "admin"
	}
	return "viewer"
}

// CanAct reports whether the role may run actions.
func (r Role) CanAct() bool { return r >= Support }

type roles struct{ support, admins map[int64]bool }

func newRoles(support, admins []int64) roles {
	r := roles{support: map[int64]bool{}, admins: map[int64]bool{}}
	for _, id := range support {
		r.support[id] = true
	}
	for _, id := range admins {
		r.admins[id] = true
	}
	return r
}

// Role is the role of a Telegram user.
func (e *Engine) Role(userID int64) Role {
	switch {
	case e.roles.admins[userID]:
		return Admin
	case e.roles.support[userID]:
		return Support
	}
	return Viewer
}
