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
// installed by scripts/test.sh; a helper whose tool is missing fails the test
// with a message that says so, it never skips.
package mediatest
