package tgtest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// parseParams reads query, urlencoded, multipart or JSON parameters into one map.
func parseParams(r *http.Request) (map[string]any, error) {
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[k] = formValue(v[0])
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return params, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 8<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return params, fmt.Errorf("can't parse JSON object: %v", err)
		}
		for k, v := range m {
			params[k] = normalizeJSON(v, true)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return params, fmt.Errorf("can't parse multipart body: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = formValue(v[0])
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return params, fmt.Errorf("can't parse form: %v", err)
		}
		for k, v := range r.PostForm {
			params[k] = formValue(v[0])
		}
	}
	return params, nil
}

// formValue decodes JSON-serialized objects and arrays, as Telegram does for such fields.
func formValue(v string) any {
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var out any
		if json.Unmarshal([]byte(t), &out) == nil {
			return out
		}
	}
	return v
}

func normalizeJSON(v any, top bool) any {
	switch x := v.(type) {
	case json.Number:
		if top {
			return x.String()
		}
		f, _ := x.Float64()
		return f
	case bool:
		if top {
			return strconv.FormatBool(x)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e, false)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e, false)
		}
		return x
	}
	return v
}

func str(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
}

func intParam(p map[string]any, key string) (int64, bool) {
	n, err := strconv.ParseInt(str(p, key), 10, 64)
	return n, err == nil
}

func chatParam(p map[string]any) (int64, *apiError) {
	id, ok := intParam(p, "chat_id")
	if !ok || id == 0 {
		return 0, badRequest("chat not found")
	}
	return id, nil
}
