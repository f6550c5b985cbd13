package egress

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"boxcar/internal/packager"
)

// Canonical header keys, assigned into header maps directly so the hot
// path neither canonicalizes nor allocates (a test checks each is
// canonical).
const (
	hAcceptRanges     = "Accept-Ranges"
	hCacheControl     = "Cache-Control"
	hContentEncoding  = "Content-Encoding"
	hContentLength    = "Content-Length"
	hContentRange     = "Content-Range"
	hContentType      = "Content-Type"
	hETag             = "Etag"
	hLastModified     = "Last-Modified"
	hVary             = "Vary"
	hNoSniff          = "X-Content-Type-Options"
	hAllow            = "Allow"
	hLastSequence     = "X-Mediapackage-Manifest-Last-Sequence"
	hLastUpdated      = "X-Mediapackage-Manifest-Last-Updated"
	hActiveInput      = "X-Mediapackage-Active-Input"
	hRequestID        = "X-Mediapackage-Request-Id"
	hAllowOrigin      = "Access-Control-Allow-Origin"
	hExposeHeaders    = "Access-Control-Expose-Headers"
	hAllowMethods     = "Access-Control-Allow-Methods"
	hAllowHeaders     = "Access-Control-Allow-Headers"
	hMaxAge           = "Access-Control-Max-Age"
	hAcceptEncoding   = "Accept-Encoding"
	hIfNoneMatch      = "If-None-Match"
	hIfModifiedSince  = "If-Modified-Since"
	hRange            = "Range"
	hIfRange          = "If-Range"
	hCDNIdentifier    = "X-Mediapackage-Cdnidentifier"
	headerCDNIdentity = "X-MediaPackage-CDNIdentifier" // as documented
)

// Prebuilt header values shared by every response. Read-only: net/http
// replaces or appends to header slices, never writes into them.
var (
	vStar          = []string{"*"}
	vExposeHeaders = []string{"Content-Length, Content-Range, Content-Encoding, Date, ETag, Last-Modified, " +
		"X-MediaPackage-Manifest-Last-Sequence, X-MediaPackage-Manifest-Last-Updated, " +
		"X-MediaPackage-Active-Input, X-MediaPackage-Request-Id"}
	vMethods        = []string{"GET, HEAD, OPTIONS"}
	vAllowHeaders   = []string{"Range, If-Range, If-None-Match, If-Modified-Since, " + headerCDNIdentity}
	vPreflightAge   = []string{"86400"}
	vAcceptEncoding = []string{"Accept-Encoding"}
	vGzip           = []string{"gzip"}
	vBytes          = []string{"bytes"}
	vTextPlain      = []string{"text/plain; charset=utf-8"}
	vErrorMaxAge    = []string{"max-age=1"}
	vNoSniff        = []string{"nosniff"}
)

// writeObject serves o: validators and caching headers, conditional GET
// (304), gzip for compressible objects when the client accepts it, a
// single byte range of segments (206, 416), HEAD. The cached bytes are
// written as they are, never copied.
func (h *Handler) writeObject(w http.ResponseWriter, r *http.Request, o *object, rs *reqState) {
	hdr := w.Header()
	body, etag, vETag, vLen := o.body, o.etag, o.hETag, o.hLength
	gz := o.gz != nil && acceptsGzip(r.Header[hAcceptEncoding])
	if gz {
		body, etag, vETag, vLen = o.gz, o.gzETag, o.hGzETag, o.hGzLength
	}
	hdr[hCacheControl] = o.hCacheControl
	hdr[hETag] = vETag
	if o.hLastModified != nil {
		hdr[hLastModified] = o.hLastModified
	}
	if o.compressible {
		hdr[hVary] = vAcceptEncoding
	}
	if o.hLastSeq != nil {
		hdr[hLastSequence] = o.hLastSeq
		hdr[hLastUpdated] = o.hUpdated
		if o.hActiveInput != nil {
			hdr[hActiveInput] = o.hActiveInput
		}
	}
	if notModified(r.Header, etag, o.lastModified) {
		rs.writeHeader(w, http.StatusNotModified)
		return
	}
	hdr[hContentType] = o.hContentType
	if gz {
		hdr[hContentEncoding] = vGzip
	}
	status := http.StatusOK
	if !o.compressible && o.kind != packager.KindManifest {
		hdr[hAcceptRanges] = vBytes
		if rh := r.Header[hRange]; len(rh) > 0 && ifRange(r.Header, etag, o.lastModified) {
			start, end, ok, unsat := parseRange(rh[0], int64(len(body)))
			switch {
			case unsat:
				for _, k := range []string{hETag, hLastModified, hAcceptRanges, hContentType} {
					delete(hdr, k)
				}
				hdr[hContentRange] = []string{"bytes */" + strconv.Itoa(len(body))}
				h.fail(w, r, errRange, rs)
				return
			case ok:
				body = body[start : end+1]
				vLen = []string{strconv.Itoa(len(body))}
				hdr[hContentRange] = []string{contentRange(start, end, int64(len(o.body)))}
				status = http.StatusPartialContent
			}
		}
	}
	hdr[hContentLength] = vLen
	rs.writeHeader(w, status)
	if r.Method != http.MethodHead {
		rs.sent = h.writeBody(w, body, rs)
	}
}

func contentRange(start, end, size int64) string {
	b := make([]byte, 0, 64)
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, start, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, end, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, size, 10)
	return string(b)
}

// notModified evaluates If-None-Match (weak comparison, RFC 9110 §13.1.2)
// and, only when it is absent, If-Modified-Since.
func notModified(hdr http.Header, etag string, lastModified time.Time) bool {
	if inm := hdr[hIfNoneMatch]; len(inm) > 0 {
		for _, v := range inm {
			if etagListMatch(v, etag) {
				return true
			}
		}
		return false
	}
	ims := hdr[hIfModifiedSince]
	if len(ims) == 0 || lastModified.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims[0])
	return err == nil && !lastModified.After(t)
}

// etagListMatch reports whether the If-None-Match list s holds etag ("*"
// holds everything), comparing weakly: a W/ prefix is ignored.
func etagListMatch(s, etag string) bool {
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		if s[0] == '*' {
			return true
		}
		s = strings.TrimPrefix(s, "W/")
		if s == "" || s[0] != '"' {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if s[:end+2] == etag {
			return true
		}
		s = s[end+2:]
	}
}

// ifRange reports whether a Range request is to be honoured: no If-Range,
// or one that strongly matches the current ETag or equals Last-Modified.
func ifRange(hdr http.Header, etag string, lastModified time.Time) bool {
	v := hdr[hIfRange]
	if len(v) == 0 {
		return true
	}
	s := textproto.TrimString(v[0])
	if strings.HasPrefix(s, `"`) {
		return s == etag
	}
	if strings.HasPrefix(s, "W/") || lastModified.IsZero() {
		return false
	}
	t, err := http.ParseTime(s)
	return err == nil && t.Equal(lastModified)
}

// parseRange parses a Range header for a body of size bytes. ok is set
// for one satisfiable range [start, end]; unsat for one that no byte
// satisfies (416). Anything else (several ranges, another unit, a
// malformed value) leaves both unset: the header is ignored and the whole
// body served, as RFC 9110 §14.2 allows.
func parseRange(s string, size int64) (start, end int64, ok, unsat bool) {
	const unit = "bytes="
	if len(s) < len(unit) || !strings.EqualFold(s[:len(unit)], unit) {
		return 0, 0, false, false
	}
	spec := textproto.TrimString(s[len(unit):])
	if strings.IndexByte(spec, ',') >= 0 {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, false
	}
	a, b = textproto.TrimString(a), textproto.TrimString(b)
	if a == "" {
		n, valid := parseDigits(b)
		switch {
		case !valid:
			return 0, 0, false, false
		case n == 0 || size == 0:
			return 0, 0, false, true
		case n > size:
			n = size
		}
		return size - n, size - 1, true, false
	}
	first, valid := parseDigits(a)
	if !valid {
		return 0, 0, false, false
	}
	last := size - 1
	if b != "" {
		l, valid := parseDigits(b)
		if !valid || l < first {
			return 0, 0, false, false
		}
		last = min(last, l)
	}
	if first >= size {
		return 0, 0, false, true
	}
	return first, last, true, false
}

// parseDigits parses a non-empty run of decimal digits, saturating at
// 1<<62 instead of overflowing.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<62/10 {
			n = n*10 + int64(c-'0')
		} else {
			n = 1 << 62
		}
	}
	return n, true
}

// acceptsGzip reports whether Accept-Encoding values allow gzip: named
// with a non-zero q, or covered by "*" with a non-zero q and not refused
// by name.
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(item, ";")
			name = textproto.TrimString(name)
			switch {
			case strings.EqualFold(name, "gzip"):
				return !qZero(params)
			case name == "*":
				star = !qZero(params)
			}
		}
	}
	return star
}

// qZero reports whether the parameters of an Accept-Encoding item carry
// q=0 (or 0.0, 0.00, 0.000).
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		p = textproto.TrimString(p)
		if len(p) < 2 || p[0] != 'q' && p[0] != 'Q' || p[1] != '=' {
			continue
		}
		q := p[2:]
		if q == "" || q[0] != '0' {
			return false
		}
		for i := 1; i < len(q); i++ {
			if !(i == 1 && q[i] == '.' || i > 1 && q[i] == '0') {
				return false
			}
		}
		return true
	}
	return false
}
