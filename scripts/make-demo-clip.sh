#!/usr/bin/env bash
# Regenerates the demo clip in internal/demo/clip/ (see its README.md): an
# 8-second H.264/AAC ladder that `boxcar demo` loops as an endless live
# stream. Needs ffmpeg with libx264 and drawtext, and the DejaVu fonts (it
# installs fonts-dejavu-core when missing); the committed files need neither.
#
#   scripts/make-demo-clip.sh            # writes internal/demo/clip/*.mp4
#   scripts/make-demo-clip.sh OUTDIR     # writes elsewhere
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-internal/demo/clip}

seconds=8          # a whole number of GOPs, and of AAC frames: 48000*8/1024 = 375
fps=25
gop=$((2 * fps))   # a keyframe (IDR, closed GOP) every 2 s
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ! -f "$font" ]; then
	sudo_ apt-get update -qq
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
fi
command -v ffmpeg >/dev/null || { echo "make-demo-clip: ffmpeg is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# One fragment per GOP; default-base-is-moof and no edit lists, so each
# track's samples start at decode time 0 and can be looped by adding the
# clip duration.
frag=(-movflags +cmaf+frag_keyframe+empty_moov+default_base_moof -use_editlist 0)
clean=(-map_metadata -1 -fflags +bitexact)

# Video renditions: name width height kbit/s.
while read -r name w h kbps; do
	size=$((h / 11))
	# The size names the rendition; its bit rate is left to the ingest
	# status, which measures what is pushed (the x264 target below is the
	# video alone, without audio and container overhead).
	label="Boxcar demo ${w}x${h}"
	vf="drawtext=fontfile=${font}:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=$((size / 4)):x=(w-tw)/2:y=h/2-${size}*1.6:text='${label}'"
	vf+=",drawtext=fontfile=${font}:fontsize=$((size * 4 / 3)):fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=$((size / 4)):x=(w-tw)/2:y=h/2:text='clip %{pts\\:hms} #%{eif\\:n\\:d\\:3}'"
	ffmpeg -nostdin -hide_banner -v error -y \
		-f lavfi -i "testsrc2=size=${w}x${h}:rate=${fps}:duration=${seconds}" \
		-vf "$vf" \
		-c:v libx264 -preset slow -profile:v high -pix_fmt yuv420p \
		-x264-params "keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0:bframes=0:threads=1" \
		-b:v "${kbps}k" -maxrate "$((kbps * 11 / 10))k" -bufsize "$((kbps * 2))k" \
		-an -video_track_timescale 90000 "${frag[@]}" "${clean[@]}" "$out/$name.mp4"
done <<'EOF'
v540 960 540 600
v360 640 360 350
v234 416 234 180
EOF

# Audio: a 100 ms 1 kHz beep at the start of every second, 48 kHz stereo AAC.
# Encode two cycles and keep the second, so the first frame was encoded after
# the previous cycle's last one: the loop is seamless and there is no encoder
# priming frame (exactly 375 frames of 1024 samples = 8.000 s).
ffmpeg -nostdin -hide_banner -v error -y \
	-f lavfi -i "aevalsrc=0.5*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.1):s=48000:c=stereo:d=$((2 * seconds))" \
	-c:a aac -b:a 96k "$tmp/two-cycles.mp4"
ffmpeg -nostdin -hide_banner -v error -y -i "$tmp/two-cycles.mp4" \
	-ss "$seconds" -t "$seconds" -c copy \
	-frag_duration 2000000 "${frag[@]}" "${clean[@]}" "$out/audio.mp4"

ls -l "$out"/*.mp4
