package telegram

import (
	"errors"
	"strings"
)

// replyGone reports Telegram's refusal of a reply to a message that is gone, which
// allow_sending_without_reply does not prevent in a forum topic.
func replyGone(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == 400 && strings.Contains(ae.Description, "message to be replied not found")
}
