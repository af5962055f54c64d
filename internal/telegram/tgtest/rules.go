package tgtest

import (
	"strings"
)

// validSecret is setWebhook's rule for secret_token: 1–256 characters of A-Za-z0-9_-.
func validSecret(v string) bool {
	if len(v) < 1 || len(v) > 256 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validCommand is setMyCommands' rule for a command name: 1–32 characters of a-z0-9_.
func validCommand(name string) bool {
	if len(name) < 1 || len(name) > 32 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkText validates text per parse_mode and returns its plain form.
func checkText(p map[string]any) (string, *apiError) {
	text := str(p, "text")
	plain := text
	switch strings.ToLower(str(p, "parse_mode")) {
	case "html":
		var err error
		if plain, err = ParseHTML(text); err != nil {
			return "", badRequest("can't parse entities: %v", err)
		}
	case "", "none":
	default:
		// Only HTML is modelled; MarkdownV2 would need its own validator.
		return "", badRequest("unsupported parse_mode %q in tgtest", str(p, "parse_mode"))
	}
	if strings.TrimSpace(plain) == "" {
		return "", badRequest("message text is empty")
	}
	if UTF16Len(plain) > MaxTextLength {
		return "", badRequest("message is too long")
	}
	return plain, nil
}

// parseKeyboard reads reply_markup.inline_keyboard and enforces the button rules.
func parseKeyboard(p map[string]any) ([][]Button, *apiError) {
	raw, ok := p["reply_markup"]
	if !ok {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		if str(p, "reply_markup") == "null" || str(p, "reply_markup") == "" {
			return nil, nil
		}
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	rowsRaw, ok := m["inline_keyboard"]
	if !ok {
		return nil, nil
	}
	rows, ok := rowsRaw.([]any)
	if !ok {
		return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
	}
	var kb [][]Button
	for _, rr := range rows {
		row, ok := rr.([]any)
		if !ok {
			return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
		}
		var out []Button
		for _, bb := range row {
			b, _ := bb.(map[string]any)
			text, _ := b["text"].(string)
			data, hasData := b["callback_data"].(string)
			_, hasURL := b["url"].(string)
			if strings.TrimSpace(text) == "" {
				return nil, badRequest("BUTTON_TEXT_INVALID")
			}
			if !hasURL && (!hasData || len(data) < 1 || len(data) > MaxCallbackData) {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			out = append(out, Button{Text: text, Data: data})
		}
		if len(out) > 0 {
			kb = append(kb, out)
		}
	}
	return kb, nil
}

// sameKeyboard decides, with the text, whether an edit is "message is not modified".
func sameKeyboard(a, b [][]Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// textParams checks what sendMessage and editMessageText share: the chat, the text (as
// Telegram parses it) and the keyboard.
func textParams(p map[string]any) (chatID int64, plain string, kb [][]Button, aerr *apiError) {
	if chatID, aerr = chatParam(p); aerr != nil {
		return
	}
	if plain, aerr = checkText(p); aerr != nil {
		return
	}
	kb, aerr = parseKeyboard(p)
	return
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true, "record_voice": true,
	"upload_voice": true, "upload_document": true, "choose_sticker": true, "find_location": true,
	"record_video_note": true, "upload_video_note": true,
}
