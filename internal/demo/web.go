package demo

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"boxcar/internal/demo/clip"
)

// web holds the page and the player libraries (web/vendor/README.md).
//
//go:embed web/index.html web/vendor
var web embed.FS

// emptyPayloadHash is the SHA-256 of an empty body, for signing a GET.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// muxRef lets the status route reach Boxcar's own routes.
type muxRef struct{ mux *http.ServeMux }

// routes adds the demo's routes to Boxcar's mux: the page at / (exactly),
// the player libraries, and the public status of the demo channel.
func (d *demo) routes(mux *http.ServeMux) {
	d.mux.Store(&muxRef{mux: mux})
	mux.HandleFunc("GET /{$}", d.servePage)
	mux.HandleFunc("GET /demo/vendor/{file}", d.serveVendor)
	mux.HandleFunc("GET /demo/status", d.serveStatus)
}

func (d *demo) servePage(w http.ResponseWriter, r *http.Request) {
	b, err := web.ReadFile("web/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	writeOK(w, r, "text/html; charset=utf-8", "no-cache", b)
}

func (d *demo) serveVendor(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(web, "web/vendor/"+path.Base(name))
	if err != nil || name != path.Base(name) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	// The files change only with the binary.
	writeOK(w, r, ct, "public, max-age=3600", b)
}

// writeOK answers 200 with body b (none to HEAD).
func writeOK(w http.ResponseWriter, r *http.Request, contentType, cacheControl string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", cacheControl)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// demoStatus is what the page polls.
type demoStatus struct {
	Channel  string          `json:"channel"`
	Playback *playback       `json:"playback"`
	Ingest   json.RawMessage `json:"ingest,omitempty"`
	Push     *pushStatus     `json:"push,omitempty"`
	// Clip is the pushed clip's video renditions with the bit rate they
	// were encoded for: the page shows it beside the bit rates the ingest
	// status reports, labelled as the encoder's target.
	Clip []clipRendition `json:"clip"`
}

// clipRendition is one video rendition of the built-in clip.
type clipRendition struct {
	Width         int `json:"width"`
	Height        int `json:"height"`
	TargetBitrate int `json:"targetBitrate"` // bit/s, video only
}

// clipRenditions lists the built-in clip's video renditions, which the
// demo's push sends (push.DemoClip).
func clipRenditions() []clipRendition {
	var out []clipRendition
	for _, r := range clip.Renditions() {
		out = append(out, clipRendition{Width: r.Width, Height: r.Height, TargetBitrate: r.Bitrate})
	}
	return out
}

type pushStatus struct {
	Segments  uint64  `json:"segments"`
	Media     float64 `json:"mediaSeconds"`
	Uploads   uint64  `json:"uploads"`
	Failures  uint64  `json:"failures"`
	LastError string  `json:"lastError,omitempty"`
}

// serveStatus answers with the demo channel's ingest status. Boxcar's
// status route wants a signed request, which a page cannot make; this one
// is public and can only show the demo channel, which it reads through
// that route with a read-only key of its own.
func (d *demo) serveStatus(w http.ResponseWriter, r *http.Request) {
	st := demoStatus{Channel: ChannelID, Playback: d.playback.Load(), Clip: clipRenditions()}
	if ref := d.mux.Load(); ref != nil && st.Playback != nil {
		st.Ingest = d.ingestStatus(r, ref.mux)
	}
	if p := d.pushed.Load(); p != nil {
		st.Push = &pushStatus{Segments: p.Segments, Media: p.Media.Seconds(), Uploads: p.Uploads, Failures: p.Failures}
		if p.LastError != nil {
			st.Push.LastError = p.LastError.Error()
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		http.Error(w, "encode status", http.StatusInternalServerError)
		return
	}
	writeOK(w, r, "application/json", "no-store", b)
}

// ingestStatus gets GET /boxcar/v1/channels/demo/ingest_status from mux
// in process, signed with the status key; nil when it fails.
func (d *demo) ingestStatus(r *http.Request, mux *http.ServeMux) json.RawMessage {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://boxcar.internal/boxcar/v1/channels/"+ChannelID+"/ingest_status", nil)
	if err != nil {
		return nil
	}
	req.RemoteAddr = r.RemoteAddr
	creds := aws.Credentials{AccessKeyID: d.statusID, SecretAccessKey: d.statusSK}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, emptyPayloadHash, "mediapackage", d.cfg.Region, time.Now()); err != nil {
		return nil
	}
	rec := &recorder{header: http.Header{}}
	mux.ServeHTTP(rec, req)
	if rec.status != http.StatusOK || !json.Valid(rec.body.Bytes()) {
		return nil
	}
	return rec.body.Bytes()
}

// recorder is a ResponseWriter that keeps the response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
