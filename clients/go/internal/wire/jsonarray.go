package wire

import "errors"

// ErrNotJSONArray: text that SplitJSONArray cannot split.
var ErrNotJSONArray = errors.New("not a JSON array")

// SplitJSONArray calls fn with the text of each element of the JSON array in
// data, in order. It only finds the elements' bounds (strings, nesting); each
// element is validated when it is decoded.
func SplitJSONArray(data []byte, fn func([]byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return ErrNotJSONArray
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for {
		start := i
		depth := 0
	scan:
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i++
				for ; i < len(data) && data[i] != '"'; i++ {
					if data[i] == '\\' {
						i++
					}
				}
			case '[', '{':
				depth++
			case ']', '}':
				if depth == 0 {
					break scan
				}
				depth--
			case ',':
				if depth == 0 {
					break scan
				}
			}
		}
		if i >= len(data) || depth != 0 {
			return ErrNotJSONArray
		}
		end := i
		for end > start && isSpace(data[end-1]) {
			end--
		}
		if end == start {
			return ErrNotJSONArray
		}
		fn(data[start:end])
		if data[i] == ']' {
			if skipSpace(data, i+1) != len(data) {
				return ErrNotJSONArray
			}
			return nil
		}
		i = skipSpace(data, i+1)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}
