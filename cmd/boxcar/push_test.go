package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"boxcar/internal/mediatest"
)

// TestPushCommand pushes two loops of the built-in clip, as fast as the
// server takes them, into a plain directory server.
func TestPushCommand(t *testing.T) {
	dir := t.TempDir()
	srv := mediatest.ServeDir(t, dir, mediatest.DirServerOptions{Username: "u", Password: "p"})
	var out syncBuffer
	err := run(context.Background(), []string{"push", "--realtime=false", "--duration", "16s", "--segment-type", "fmp4",
		"--username", "u", "--auth", "basic", srv.URL + "/in/channel"}, []string{"BOXCAR_PUSH_PASSWORD=p"}, &out, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, name := range []string{"channel.m3u8", "channel_1.m3u8", "channel_1_init.mp4", "channel_1_8.m4s", "channel_4_8.m4s"} {
		if _, err := os.Stat(filepath.Join(dir, "in", name)); err != nil {
			t.Errorf("%s was not pushed: %v", name, err)
		}
	}
	if !strings.Contains(out.String(), "push: 8 segments (16s of media)") || !strings.Contains(out.String(), "0 errors") {
		t.Errorf("no final status line:\n%s", out.String())
	}
}

func TestPushCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"push"},
		{"push", "--auth", "ntlm", "http://127.0.0.1:1/channel"},
		{"push", "--segment-type", "webm", "http://127.0.0.1:1/channel"},
		{"push", "--muxed-audio", "--segment-type", "fmp4", "http://127.0.0.1:1/channel"},
		{"push", "--input", filepath.Join(t.TempDir(), "missing.mp4"), "http://127.0.0.1:1/channel"},
		{"push", "ftp://example.com/channel"},
		{"push", "--window", "0", "http://127.0.0.1:1/channel"},
	} {
		var out syncBuffer
		if err := run(context.Background(), args, nil, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
