// Package demo runs `boxcar demo`: a Boxcar origin with a channel, three
// origin endpoints (HLS-TS, HLS-CMAF, DASH) and the built-in clip pushed
// into it live, plus a page at / that plays it with hls.js or dash.js,
// shows over the picture the wall-clock time at which the frame playing was
// pushed (from the stream's program date-time) and the latency, and shows
// the channel's ingest status. Everything it needs is in the binary: the
// clip, the page and the player libraries.
//
// It sets the channel up the way a user would: through its own
// MediaPackage-compatible API with the official AWS SDK, signing with an
// admin key it generates (and prints, so the AWS CLI can be pointed at it);
// it then pushes with push.Run to the channel's first ingest endpoint with
// that endpoint's credentials (Digest), in real time.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"boxcar/internal/config"
	"boxcar/internal/push"
	"boxcar/internal/server"
)

// ChannelID is the demo channel.
const ChannelID = "demo"

// Endpoint ids of the demo channel.
const (
	EndpointHLS  = "hls"
	EndpointCMAF = "cmaf"
	EndpointDASH = "dash"
)

const (
	// segmentDuration is the ingest and output segment length: short, for
	// a quick start.
	segmentDuration = 2 * time.Second
	// windowSeconds is every endpoint's manifest window.
	windowSeconds = 30
	// headStart is media pushed at once when the demo starts, so players
	// find a few segments the moment the page opens.
	headStart = 3 * segmentDuration
	// pushStatusInterval is how often the push prints its status line
	// among the server's log.
	pushStatusInterval = time.Minute
	// defaultListen is where the demo listens unless told otherwise: the
	// local machine only.
	defaultListen = "127.0.0.1:8080"
)

// Options configure a demo.
type Options struct {
	// Args are the command-line flags, as for `boxcar serve` (--listen,
	// --data-dir, --public-url, ...); Environ the environment (BOXCAR_*).
	Args, Environ []string
	Version       string
	// Stdout receives the URLs, credentials and push status; Stderr the
	// server log.
	Stdout, Stderr io.Writer
	// Started, when set, is called once the channel is set up and the push
	// has begun.
	Started func(Info)
}

// Info is what the demo set up.
type Info struct {
	// PageURL is the demo page.
	PageURL string
	// APIEndpoint is the MediaPackage-compatible API; AccessKeyID and
	// SecretAccessKey the admin key, Region the region to sign for.
	APIEndpoint, AccessKeyID, SecretAccessKey, Region string
	// HLS, CMAF and DASH are the playback URLs.
	HLS, CMAF, DASH string
	// Ingest are the channel's two ingest endpoints.
	Ingest [2]IngestEndpoint
	// DataDir holds the channel's data; Temporary when the demo removes
	// it on exit.
	DataDir   string
	Temporary bool
}

// IngestEndpoint is one ingest URL and its credentials.
type IngestEndpoint struct {
	URL, Username, Password string
}

// demo is one running demo.
type demo struct {
	o        Options
	cfg      config.Config
	statusID string // read-only key for the status route
	statusSK string
	playback atomic.Pointer[playback]
	pushed   atomic.Pointer[push.Stats]
	mux      atomic.Pointer[muxRef]
}

// Run runs the demo until ctx ends, then stops the push and the server and
// removes a temporary data directory.
func Run(ctx context.Context, o Options) (err error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	env := append([]string(nil), o.Environ...)
	has := func(flagName, envName string) bool {
		return hasFlag(o.Args, flagName) || hasEnv(env, envName)
	}
	if !has("listen", "BOXCAR_LISTEN") {
		env = append(env, "BOXCAR_LISTEN="+defaultListen)
	}
	if !has("log-level", "BOXCAR_LOG_LEVEL") {
		// The demo's own output is the point; the log shows problems.
		env = append(env, "BOXCAR_LOG_LEVEL=warn")
	}
	info := Info{}
	if !has("data-dir", "BOXCAR_DATA_DIR") {
		dir, err := os.MkdirTemp("", "boxcar-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer func() {
			if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
				err = fmt.Errorf("demo: remove %s: %w", dir, rmErr)
			}
		}()
		env = append(env, "BOXCAR_DATA_DIR="+dir)
		info.Temporary = true
	}
	cfg, rest, err := config.Load(o.Args, env)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("demo: unexpected argument %q", rest[0])
	}
	info.DataDir = cfg.DataDir
	if cfg.Auth.AdminAccessKeyID == "" {
		cfg.Auth.AdminAccessKeyID, cfg.Auth.AdminSecretAccessKey = newKeyPair()
	}
	d := &demo{o: o}
	d.statusID, d.statusSK = newKeyPair()
	cfg.Auth.Keys = append(cfg.Auth.Keys, config.APIKey{AccessKeyID: d.statusID, SecretAccessKey: d.statusSK, Role: config.RoleReadOnly})
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	d.cfg = cfg
	info.AccessKeyID, info.SecretAccessKey, info.Region = cfg.Auth.AdminAccessKeyID, cfg.Auth.AdminSecretAccessKey, cfg.Region

	srv, err := server.New(cfg, server.Options{Version: o.Version, LogOutput: o.Stderr, Routes: d.routes})
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w (is another Boxcar running? choose another address with --listen, e.g. --listen 127.0.0.1:8081)", err)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-served:
		return err
	}

	local := localURL(srv.Addr())
	info.PageURL = srv.PublicURL() + "/"
	info.APIEndpoint = srv.PublicURL()
	ingestURL, err := d.setUp(ctx, local, &info)
	if err != nil {
		cancel()
		<-served
		return err
	}
	pushed := make(chan error, 1)
	go func() {
		pushed <- push.Run(ctx, push.Options{
			URL:             ingestURL,
			Username:        info.Ingest[0].Username,
			Password:        info.Ingest[0].Password,
			Auth:            push.AuthDigest,
			SegmentDuration: segmentDuration,
			Realtime:        true,
			HeadStart:       headStart,
			Status:          o.Stdout,
			StatusInterval:  pushStatusInterval,
			UserAgent:       "Boxcar/" + o.Version + " demo",
			Published:       func(s push.Stats) { d.pushed.Store(&s) },
		})
	}()
	printInfo(o.Stdout, &info)
	if o.Started != nil {
		o.Started(info)
	}

	select {
	case err = <-served:
		cancel()
		<-pushed
	case err = <-pushed:
		cancel()
		if srvErr := <-served; err == nil || errors.Is(err, context.Canceled) {
			err = srvErr
		}
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	fmt.Fprintln(o.Stdout, "boxcar demo: stopped")
	return err
}

// localURL is the base URL the demo itself uses to reach the listener,
// whatever the public URL says.
func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// rebase points u at base, keeping its path.
func rebase(u, base string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	p.Scheme, p.Host = b.Scheme, b.Host
	return p.String(), nil
}

// newKeyPair makes an access key id (20 upper-case letters and digits, as
// AWS's look) and a 40-character secret.
func newKeyPair() (id, secret string) {
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const mixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		rand.Read(b)
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		return string(b)
	}
	return "BXDEMO" + pick(upper, 14), pick(mixed, 40)
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func hasEnv(environ []string, name string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}
