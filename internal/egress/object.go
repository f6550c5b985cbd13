package egress

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/packager"
)

// segmentMaxAge is the Cache-Control max-age of immutable segments and
// init segments: 14 days, as MediaPackage sends (mediapackage.md §3.10).
const segmentMaxAge = 14 * 24 * time.Hour

// object is a packaged body ready to serve, with every header value built
// once when it entered the cache. Nothing in it changes afterwards; the
// header value slices are shared by every response that serves it and must
// not be modified.
type object struct {
	body []byte
	// gz is the gzip form of a compressible body, nil when it is not
	// compressible or compression does not make it smaller.
	gz        []byte
	kind      packager.Kind
	immutable bool
	// compressible objects vary on Accept-Encoding.
	compressible bool
	// lastModified is Object.LastModified at HTTP's one-second
	// resolution; zero when the packager gave none.
	lastModified time.Time

	etag, gzETag       string // strong validators, quoted
	hETag, hGzETag     []string
	hContentType       []string
	hCacheControl      []string
	hLastModified      []string
	hLength, hGzLength []string
	hLastSeq, hUpdated []string // manifests only
	hActiveInput       []string // manifests with an active input only
	size               int64    // bytes held: body + gz
}

// gzipPool reuses gzip writers (their compressor state is large).
type gzipPool struct{ p sync.Pool }

func (g *gzipPool) compress(b []byte) []byte {
	zw, _ := g.p.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	}
	var buf bytes.Buffer
	buf.Grow(len(b)/3 + 64)
	zw.Reset(&buf)
	zw.Write(b)
	zw.Close()
	g.p.Put(zw)
	return buf.Bytes()
}

// newObject prepares o, packaged from snap, for serving and caching. It
// hashes the body once for the ETag and compresses manifests once.
func newObject(o *packager.Object, snap *live.Snapshot, gz *gzipPool) *object {
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	x := &object{
		body:         o.Body,
		kind:         o.Kind,
		immutable:    o.Immutable,
		compressible: o.Kind == packager.KindManifest || strings.HasPrefix(ct, "text/"),
		hContentType: []string{ct},
		hLength:      []string{strconv.Itoa(len(o.Body))},
	}
	sum := sha256.Sum256(o.Body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:15])
	x.etag = `"` + tag + `"`
	x.hETag = []string{x.etag}
	if !o.LastModified.IsZero() {
		x.lastModified = o.LastModified.UTC().Truncate(time.Second)
		x.hLastModified = []string{x.lastModified.Format(http.TimeFormat)}
	}
	x.hCacheControl = []string{cacheControl(o)}
	if o.Kind == packager.KindManifest {
		x.hLastSeq = []string{strconv.FormatUint(o.LastSequence, 10)}
		x.hUpdated = []string{strconv.FormatInt(snap.Updated.UnixMilli(), 10)}
		if snap.ActiveInput > 0 {
			x.hActiveInput = []string{strconv.Itoa(int(snap.ActiveInput))}
		}
	}
	if x.compressible {
		if gz := gz.compress(o.Body); len(gz) < len(o.Body) {
			x.gz = gz
			x.gzETag = `"` + tag + `-gz"`
			x.hGzETag = []string{x.gzETag}
			x.hGzLength = []string{strconv.Itoa(len(gz))}
		}
	}
	x.size = int64(len(x.body) + len(x.gz))
	return x
}

// cacheControl is the Cache-Control value of o: the packager's max-age,
// at least 14 days (and immutable) for segments, at least 1 s otherwise.
func cacheControl(o *packager.Object) string {
	age := int64(o.MaxAge / time.Second)
	if o.Immutable && o.Kind != packager.KindManifest {
		if age < int64(segmentMaxAge/time.Second) {
			age = int64(segmentMaxAge / time.Second)
		}
		return "max-age=" + strconv.FormatInt(age, 10) + ", immutable"
	}
	if age < 1 {
		age = 1
	}
	return "max-age=" + strconv.FormatInt(age, 10)
}
