package accesslog

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxUserAgent truncates the logged User-Agent, as MediaPackage does.
const MaxUserAgent = 8 << 10

// Fields are what both access logs record of every request, with
// MediaPackage's field names (mediapackage.md §4.2); each log adds its
// own after them.
type Fields struct {
	Timestamp      time.Time
	ClientIP       string
	ProcessingTime time.Duration
	StatusCode     int
	ReceivedBytes  int64
	SentBytes      int64
	Method         string
	Request        string // scheme://host/path, and ?query on playback
	Protocol       string
	UserAgent      string // truncated to MaxUserAgent
}

// AppendHead starts a line with the fields up to the processingTime
// value, which each log writes its own way:
// {"timestamp":"…","clientIp":"…","processingTime":
func (f *Fields) AppendHead(b []byte) []byte {
	b = append(b, `{"timestamp":"`...)
	b = appendTime(b, f.Timestamp)
	b = append(b, `","clientIp":`...)
	b = AppendString(b, f.ClientIP)
	return append(b, `,"processingTime":`...)
}

// AppendExchange appends the fields after processingTime, each after a
// comma: statusCode (a string), receivedBytes, sentBytes, method,
// request, protocol and userAgent.
func (f *Fields) AppendExchange(b []byte) []byte {
	b = append(b, `,"statusCode":"`...)
	b = strconv.AppendInt(b, int64(f.StatusCode), 10)
	b = append(b, `","receivedBytes":`...)
	b = strconv.AppendInt(b, f.ReceivedBytes, 10)
	b = append(b, `,"sentBytes":`...)
	b = strconv.AppendInt(b, f.SentBytes, 10)
	b = append(b, `,"method":`...)
	b = AppendString(b, f.Method)
	b = append(b, `,"request":`...)
	b = AppendString(b, f.Request)
	b = append(b, `,"protocol":`...)
	b = AppendString(b, f.Protocol)
	b = append(b, `,"userAgent":`...)
	return appendUserAgent(b, f.UserAgent)
}

// appendTime appends t in UTC with microseconds, as MediaPackage's
// timestamp field.
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
}

// appendUserAgent appends ua, truncated to MaxUserAgent, as a JSON string.
func appendUserAgent(b []byte, ua string) []byte {
	if len(ua) > MaxUserAgent {
		ua = ua[:MaxUserAgent]
	}
	return AppendString(b, ua)
}

// AppendFloat appends f as encoding/json writes a float64: the shortest
// decimal form, exponent form below 1e-6 and from 1e21.
func AppendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping what RFC 8259
// requires (plus <, >, & and the JS line separators, as encoding/json
// does) and replacing invalid UTF-8 with U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
