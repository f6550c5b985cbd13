// Package mediatest holds helpers for Boxcar's end-to-end tests: real peers
// rather than our own parsers.
//
//   - [Players] drives hls.js, Shaka Player and dash.js in headless Chromium
//     through e2e/play.mjs and reports how playback went ([PlayResult]).
//   - [Decode] plays a URL with ffmpeg and counts frames and errors.
//   - [StartPush] runs ffmpeg as a live encoder pushing HLS (or DASH) over
//     HTTP PUT, the way MediaLive and other encoders feed an ingest endpoint.
//   - [ServeDir] is a minimal CORS-enabled origin on an ephemeral port that
//     stores what is PUT to it and serves it back, for testing the harness
//     itself and for serving reference content to players.
//
// The tools these need (ffmpeg, Chromium, Node.js and e2e/node_modules) are
// installed by scripts/test.sh. A helper whose tool is missing follows
// testutil.Need: it skips the test with a message naming the tool and
// the command that installs it, or fails it in required mode
// (BOXCAR_REQUIRE_TOOLS=1, which scripts/test.sh sets).
package mediatest
