// Command boxcar is a self-hosted live video packaging origin.
//
//	boxcar serve   run the origin
//	boxcar demo    run the origin with a live demo channel and a player page
//	boxcar push    push a looping clip as live HLS to an ingest URL
//	boxcar version print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"boxcar/internal/config"
	"boxcar/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "boxcar:", err)
		os.Exit(1)
	}
}

const usage = `usage: boxcar <command> [flags]

commands:
  serve     run the origin
  demo      run the origin with a live demo channel and a player page
  push      push a looping clip as live HLS to an ingest URL (a test encoder)
  version   print the version

Run "boxcar <command> -h" for the flags of a command.`

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], environ, stderr)
	case "demo":
		return demoCommand(ctx, args[1:], environ, stdout, stderr)
	case "push":
		return pushCommand(ctx, args[1:], environ, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "boxcar", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args, environ []string, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stderr, "usage: boxcar serve [flags]\n\n"+config.Usage())
		return nil
	}
	cfg, rest, err := config.Load(args, environ)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected argument %q", rest[0])
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	srv, err := server.New(cfg, server.Options{Version: version, LogOutput: stderr})
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
