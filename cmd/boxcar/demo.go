package main

import (
	"context"
	"fmt"
	"io"

	"boxcar/internal/config"
	"boxcar/internal/demo"
)

const demoUsage = `usage: boxcar demo [flags]

Runs Boxcar with a demo channel fed live by the built-in clip, and a page at
http://127.0.0.1:8080/ that plays it. It creates the channel and its HLS,
CMAF and DASH endpoints through its own API with an admin key it generates
(and prints, for the AWS CLI), and keeps its data in a temporary directory
removed on exit unless --data-dir is given.

Listens on 127.0.0.1:8080 unless --listen or BOXCAR_LISTEN says otherwise.
`

// demoCommand runs "boxcar demo".
func demoCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, demoUsage+"\n"+config.Usage())
		return nil
	}
	return demo.Run(ctx, demo.Options{Args: args, Environ: environ, Version: version, Stdout: stdout, Stderr: stderr})
}
