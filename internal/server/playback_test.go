package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/mediatest"
)

// TestPlaybackEndToEnd pushes a three-rendition ffmpeg ladder through
// ingest and has real players play every endpoint type for 20 s with a
// forced rendition switch, and ffmpeg decode 10 s of each.
func TestPlaybackEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end playback takes minutes")
	}
	players := mediatest.NewPlayers(t)
	o := startOrigin(t, t.TempDir(), nil)
	ie := o.createChannel(t, "live")
	seg := aws.Int32(2)
	hls := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("hls"),
		HlsPackage: &types.HlsPackage{SegmentDurationSeconds: seg, PlaylistWindowSeconds: aws.Int32(30), ProgramDateTimeIntervalSeconds: aws.Int32(10)}})
	hlsGroups := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("hls-groups"),
		HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(4), UseAudioRenditionGroup: aws.Bool(true), IncludeIframeOnlyStream: aws.Bool(true)}})
	cmaf := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("cmaf"),
		CmafPackage: &types.CmafPackageCreateOrUpdateParameters{SegmentDurationSeconds: seg,
			HlsManifests: []types.HlsManifestCreateOrUpdateParameters{{Id: aws.String("main")}}}})
	dash := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("dash"),
		DashPackage: &types.DashPackage{SegmentDurationSeconds: seg, ManifestWindowSeconds: aws.Int32(30),
			MinBufferTimeSeconds: aws.Int32(6), MinUpdatePeriodSeconds: aws.Int32(2), SuggestedPresentationDelaySeconds: aws.Int32(8), UtcTiming: types.UtcTimingHttpIso}})
	dashTime := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("dash-time"),
		DashPackage: &types.DashPackage{SegmentDurationSeconds: seg, SegmentTemplateFormat: types.SegmentTemplateFormatTimeWithTimeline,
			ManifestLayout: types.ManifestLayoutCompact, MinBufferTimeSeconds: aws.Int32(6), MinUpdatePeriodSeconds: aws.Int32(2), SuggestedPresentationDelaySeconds: aws.Int32(8), UtcTiming: types.UtcTimingHttpHead}})
	dashDuration := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("dash-duration"),
		DashPackage: &types.DashPackage{SegmentDurationSeconds: seg, SegmentTemplateFormat: types.SegmentTemplateFormatNumberWithDuration,
			MinBufferTimeSeconds: aws.Int32(6), MinUpdatePeriodSeconds: aws.Int32(2), SuggestedPresentationDelaySeconds: aws.Int32(8), UtcTiming: types.UtcTimingHttpXsdate}})

	ctx := context.Background()
	push := mediatest.StartPush(ctx, t, mediatest.PushOptions{
		URL: aws.ToString(ie[0].Url), Username: aws.ToString(ie[0].Username), Password: aws.ToString(ie[0].Password),
		Renditions: 3, SegmentSeconds: 2, Realtime: true,
	})
	defer push.Stop()
	hlsURL := aws.ToString(hls.Url)
	waitFor(t, 60*time.Second, "four segments in the HLS playlist", func() bool {
		code, body, _ := get(t, hlsURL)
		if code != http.StatusOK {
			return false
		}
		code, media, _ := get(t, hlsURL[:len(hlsURL)-len("index.m3u8")]+firstMediaPlaylist(body))
		return code == http.StatusOK && segmentsIn(media) >= 4
	})

	plays := []struct {
		player, url string
	}{
		{mediatest.PlayerHLSJS, hlsURL},
		{mediatest.PlayerShaka, aws.ToString(cmaf.CmafPackage.HlsManifests[0].Url)},
		{mediatest.PlayerDashJS, aws.ToString(dash.Url)},
		{mediatest.PlayerShaka, aws.ToString(dash.Url)},
		{mediatest.PlayerHLSJS, aws.ToString(hlsGroups.Url)},
		{mediatest.PlayerDashJS, aws.ToString(dashTime.Url)},
		{mediatest.PlayerShaka, aws.ToString(dashDuration.Url)},
	}
	for _, p := range plays {
		t.Run(p.player+" "+p.url[len(o.url):], func(t *testing.T) {
			res, err := players.Play(ctx, mediatest.PlayOptions{Player: p.player, URL: p.url, Seconds: 20, Switch: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Summary())
			// A few segments of playback, no stall over 3 s, still
			// advancing at the end of the 20 s watch.
			if err := res.Check(6, 3); err != nil {
				t.Fatal(err)
			}
			if !res.Switched {
				t.Fatalf("forced rendition switch did not happen: %s", res.SwitchError)
			}
		})
	}
	for _, u := range []string{hlsURL, aws.ToString(hlsGroups.Url), aws.ToString(cmaf.CmafPackage.HlsManifests[0].Url), aws.ToString(dash.Url)} {
		t.Run("ffmpeg "+u[len(o.url):], func(t *testing.T) {
			res, err := mediatest.Decode(ctx, u, 10)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Check(200); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// firstMediaPlaylist returns the first URI line of a multivariant playlist.
func firstMediaPlaylist(body string) string {
	for _, l := range splitLines(body) {
		if l != "" && l[0] != '#' {
			return l
		}
	}
	return ""
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
