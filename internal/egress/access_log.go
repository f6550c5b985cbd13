package egress

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// maxUserAgent truncates the logged User-Agent, as MediaPackage does.
const maxUserAgent = 8 << 10

// accessRecord is one egress access-log line with MediaPackage's field
// names (mediapackage.md §4.2). It never carries secrets: the CDN
// identifier header is not logged.
type accessRecord struct {
	Timestamp      time.Time
	ClientIP       string
	ProcessingTime time.Duration // receipt to response headers
	StatusCode     int
	ReceivedBytes  int64
	SentBytes      int64
	Method         string
	Request        string // scheme://host/path?query
	Protocol       string
	UserAgent      string
	DomainName     string
	Account        string
	ChannelID      string
	EndpointID     string
	EndpointARN    string
	RequestID      string
}

// accessLogBuffer is how many bytes of access-log lines are held before a
// write while Handler.Run flushes: one write per ~150 lines instead of one
// per request.
const accessLogBuffer = 64 << 10

// accessLog writes one JSON line per request. While Handler.Run runs,
// lines are buffered and flushed at least once a second; otherwise each
// line is one Write. Every Write carries whole lines only, so other
// writers of the same io.Writer (the ingest access log) never interleave
// inside a line. Safe for concurrent use.
type accessLog struct {
	lines sync.Pool // *[]byte scratch

	mu       sync.Mutex
	w        io.Writer
	buf      []byte
	buffered bool
}

func newAccessLog(w io.Writer) *accessLog {
	if w == nil {
		return nil
	}
	return &accessLog{w: w, buf: make([]byte, 0, accessLogBuffer)}
}

func (l *accessLog) write(rec *accessRecord) {
	bp, _ := l.lines.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 512)
		bp = &b
	}
	b := rec.appendJSON((*bp)[:0])
	l.mu.Lock()
	switch {
	case !l.buffered:
		l.w.Write(b)
	case len(l.buf)+len(b) <= cap(l.buf):
		l.buf = append(l.buf, b...)
	default:
		l.flushLocked()
		if len(b) > cap(l.buf) {
			l.w.Write(b)
		} else {
			l.buf = append(l.buf, b...)
		}
	}
	l.mu.Unlock()
	*bp = b
	l.lines.Put(bp)
}

// setBuffered turns buffering on or off; turning it off flushes.
func (l *accessLog) setBuffered(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buffered = on
	if !on {
		l.flushLocked()
	}
}

func (l *accessLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *accessLog) flushLocked() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf)
		l.buf = l.buf[:0]
	}
}

// appendJSON appends rec as one JSON object and a newline.
func (rec *accessRecord) appendJSON(b []byte) []byte {
	b = append(b, `{"timestamp":"`...)
	b = rec.Timestamp.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","clientIp":`...)
	b = appendString(b, rec.ClientIP)
	b = append(b, `,"processingTime":`...)
	b = strconv.AppendFloat(b, rec.ProcessingTime.Seconds(), 'f', 6, 64)
	b = append(b, `,"statusCode":"`...)
	b = strconv.AppendInt(b, int64(rec.StatusCode), 10)
	b = append(b, `","receivedBytes":`...)
	b = strconv.AppendInt(b, rec.ReceivedBytes, 10)
	b = append(b, `,"sentBytes":`...)
	b = strconv.AppendInt(b, rec.SentBytes, 10)
	b = append(b, `,"method":`...)
	b = appendString(b, rec.Method)
	b = append(b, `,"request":`...)
	b = appendString(b, rec.Request)
	b = append(b, `,"protocol":`...)
	b = appendString(b, rec.Protocol)
	ua := rec.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	b = append(b, `,"userAgent":`...)
	b = appendString(b, ua)
	b = append(b, `,"domainName":`...)
	b = appendString(b, rec.DomainName)
	if rec.Account != "" {
		b = append(b, `,"account":`...)
		b = appendString(b, rec.Account)
	}
	b = append(b, `,"channelId":`...)
	b = appendString(b, rec.ChannelID)
	b = append(b, `,"endpointId":`...)
	b = appendString(b, rec.EndpointID)
	if rec.EndpointARN != "" {
		b = append(b, `,"endpointArn":`...)
		b = appendString(b, rec.EndpointARN)
	}
	b = append(b, `,"requestId":`...)
	b = appendString(b, rec.RequestID)
	b = append(b, "}\n"...)
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping what RFC 8259
// requires (plus <, >, & and the JS line separators, as encoding/json
// does) and replacing invalid UTF-8 with U+FFFD.
func appendString(b []byte, s string) []byte {
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
