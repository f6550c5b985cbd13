package mediatest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxUpload bounds one PUT or POST body: far above any test segment, low
// enough that a runaway upload cannot fill the disk.
const maxUpload = 256 << 20

// DirServerOptions configures [ServeDir].
type DirServerOptions struct {
	// Username and Password, when set, are required (HTTP Basic) on PUT,
	// POST and DELETE; reads stay open.
	Username, Password string
}

// DirServer is a minimal origin over a directory, on an ephemeral loopback
// port: GET and HEAD serve files with CORS headers (players run on another
// origin), PUT and POST store the body atomically (written to a temporary
// file, then renamed, so a reader never sees half a segment), DELETE removes,
// and GET /time answers with the current UTC time for DASH UTCTiming.
// It is safe for concurrent use.
type DirServer struct {
	// URL is the base URL, without a trailing slash.
	URL string
	// Dir is the directory served.
	Dir string

	opts DirServerOptions
	srv  *httptest.Server

	mu    sync.Mutex
	stats DirServerStats
}

// DirServerStats counts requests by outcome.
type DirServerStats struct {
	Writes   int // PUT and POST stored
	Deletes  int
	Rejected int // writes refused for missing or wrong credentials
	Reads    int // GET and HEAD answered 2xx or 3xx
	NotFound int // GET and HEAD answered 404
}

// ServeDir serves dir until the test ends.
func ServeDir(t testing.TB, dir string, o DirServerOptions) *DirServer {
	t.Helper()
	s := &DirServer{Dir: dir, opts: o}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ReadHeaderTimeout = 10 * time.Second
	s.srv.Config.IdleTimeout = 60 * time.Second
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Stats returns the request counts so far.
func (s *DirServer) Stats() DirServerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *DirServer) count(f func(*DirServerStats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *DirServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Date, Age")
	name := path.Clean("/" + r.URL.Path)
	file := filepath.Join(s.Dir, filepath.FromSlash(name))
	switch r.Method {
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodHead:
		if name == "/time" {
			body := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, body)
			return
		}
		s.serveFile(w, r, name, file)
	case http.MethodPut, http.MethodPost:
		if !s.authorized(w, r) {
			return
		}
		if err := s.store(file, http.MaxBytesReader(w, r.Body, maxUpload)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.count(func(st *DirServerStats) { st.Writes++ })
		w.WriteHeader(http.StatusCreated)
	case http.MethodDelete:
		if !s.authorized(w, r) {
			return
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.count(func(st *DirServerStats) { st.Deletes++ })
		w.WriteHeader(http.StatusNoContent)
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS, PUT, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *DirServer) serveFile(w http.ResponseWriter, r *http.Request, name, file string) {
	f, err := os.Open(file)
	if err != nil {
		s.count(func(st *DirServerStats) { st.NotFound++ })
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		s.count(func(st *DirServerStats) { st.NotFound++ })
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", contentType(name))
	w.Header().Set("Cache-Control", "no-cache")
	s.count(func(st *DirServerStats) { st.Reads++ })
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

func (s *DirServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Username == "" && s.opts.Password == "" {
		return true
	}
	u, p, ok := r.BasicAuth()
	if ok && subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) == 1 {
		return true
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxUpload))
	s.count(func(st *DirServerStats) { st.Rejected++ })
	w.Header().Set("WWW-Authenticate", `Basic realm="ingest"`)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
	return false
}

func (s *DirServer) store(file string, body io.Reader) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".m3u8":
		return "application/vnd.apple.mpegurl"
	case ".mpd":
		return "application/dash+xml"
	case ".ts":
		return "video/mp2t"
	case ".mp4", ".m4s", ".cmfv":
		return "video/mp4"
	case ".m4a", ".cmfa":
		return "audio/mp4"
	case ".aac":
		return "audio/aac"
	case ".vtt":
		return "text/vtt"
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript"
	default:
		return "application/octet-stream"
	}
}
