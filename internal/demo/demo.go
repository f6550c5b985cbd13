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
	env := o.defaultEnviron()
	info := Info{}
	if !o.has("data-dir", "BOXCAR_DATA_DIR") {
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
	d, err := newDemo(o, env)
	if err != nil {
		return err
	}
	info.DataDir = d.cfg.DataDir
	info.AccessKeyID, info.SecretAccessKey, info.Region = d.cfg.Auth.AdminAccessKeyID, d.cfg.Auth.AdminSecretAccessKey, d.cfg.Region
	return d.run(ctx, &info)
}

// has reports whether the flag or the environment variable is set.
func (o Options) has(flagName, envName string) bool {
	return hasFlag(o.Args, flagName) || hasEnv(o.Environ, envName)
}

// defaultEnviron is o.Environ with the demo's own defaults for what the
// user left unset: a local listener and a quiet log.
func (o Options) defaultEnviron() []string {
	env := append([]string(nil), o.Environ...)
	if !o.has("listen", "BOXCAR_LISTEN") {
		env = append(env, "BOXCAR_LISTEN="+defaultListen)
	}
	if !o.has("log-level", "BOXCAR_LOG_LEVEL") {
		// The demo's own output is the point; the log shows problems.
		env = append(env, "BOXCAR_LOG_LEVEL=warn")
	}
	return env
}

// newDemo loads the configuration from o.Args and env, with an admin key
// (generated unless given) and the status route's read-only key, and
// checks it.
func newDemo(o Options, env []string) (*demo, error) {
	cfg, rest, err := config.Load(o.Args, env)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("demo: unexpected argument %q", rest[0])
	}
	if cfg.Auth.AdminAccessKeyID == "" {
		cfg.Auth.AdminAccessKeyID, cfg.Auth.AdminSecretAccessKey = newKeyPair()
	}
	d := &demo{o: o}
	d.statusID, d.statusSK = newKeyPair()
	cfg.Auth.Keys = append(cfg.Auth.Keys, config.APIKey{AccessKeyID: d.statusID, SecretAccessKey: d.statusSK, Role: config.RoleReadOnly})
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	d.cfg = cfg
	return d, nil
}

// run starts the server, sets the channel up through its API, starts the
// push, tells the user, and waits until ctx ends or either stops.
func (d *demo) run(ctx context.Context, info *Info) error {
	srv, err := server.New(d.cfg, server.Options{Version: d.o.Version, LogOutput: d.o.Stderr, Routes: d.routes})
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
	ingestURL, err := d.setUp(ctx, local, info)
	if err != nil {
		cancel()
		<-served
		return err
	}
	pushed := make(chan error, 1)
	go func() { pushed <- d.push(ctx, ingestURL, info.Ingest[0]) }()
	printInfo(d.o.Stdout, info)
	if d.o.Started != nil {
		d.o.Started(*info)
	}

	err = waitStopped(cancel, served, pushed)
	fmt.Fprintln(d.o.Stdout, "boxcar demo: stopped")
	return err
}

// push pushes the built-in clip to ingestURL in real time until ctx ends.
func (d *demo) push(ctx context.Context, ingestURL string, in IngestEndpoint) error {
	return push.Run(ctx, push.Options{
		URL:             ingestURL,
		Username:        in.Username,
		Password:        in.Password,
		Auth:            push.AuthDigest,
		SegmentDuration: segmentDuration,
		Realtime:        true,
		HeadStart:       headStart,
		Status:          d.o.Stdout,
		StatusInterval:  pushStatusInterval,
		UserAgent:       "Boxcar/" + d.o.Version + " demo",
		Published:       func(s push.Stats) { d.pushed.Store(&s) },
	})
}

// waitStopped waits for the server or the push to stop, stops the other
// and returns the first real error: a push that ended on its own yields to
// the server's error. Cancellation is not an error.
func waitStopped(cancel context.CancelFunc, served, pushed <-chan error) (err error) {
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
