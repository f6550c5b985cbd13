package demo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
)

// playback holds the page's playback URLs as paths, so the page works
// whatever host name it was opened with.
type playback struct {
	HLS  string `json:"hls"`
	CMAF string `json:"cmaf"`
	DASH string `json:"dash"`
}

// setUp creates (or, with a kept data directory, finds) the demo channel
// and its endpoints through the API at local, fills info, and returns the
// URL the push uses: the first ingest endpoint, reached at local.
func (d *demo) setUp(ctx context.Context, local string, info *Info) (string, error) {
	api := mediapackage.New(mediapackage.Options{
		Region:       d.cfg.Region,
		BaseEndpoint: aws.String(local),
		Credentials:  credentials.NewStaticCredentialsProvider(d.cfg.Auth.AdminAccessKeyID, d.cfg.Auth.AdminSecretAccessKey, ""),
	})
	if err := setUpChannel(ctx, api, info); err != nil {
		return "", err
	}
	if err := setUpEndpoints(ctx, api, info); err != nil {
		return "", err
	}
	pb, err := playbackPaths(info)
	if err != nil {
		return "", fmt.Errorf("demo: playback URL: %w", err)
	}
	d.playback.Store(pb)
	return rebase(info.Ingest[0].URL, local)
}

// setUpChannel creates the demo channel, or finds the one a kept data
// directory already has, and fills info.Ingest.
func setUpChannel(ctx context.Context, api *mediapackage.Client, info *Info) error {
	ch, err := api.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String(ChannelID)})
	var nf *types.NotFoundException
	if errors.As(err, &nf) {
		var out *mediapackage.CreateChannelOutput
		out, err = api.CreateChannel(ctx, &mediapackage.CreateChannelInput{
			Id: aws.String(ChannelID), Description: aws.String("boxcar demo: the built-in clip, pushed live"),
		})
		if err == nil {
			ch = &mediapackage.DescribeChannelOutput{HlsIngest: out.HlsIngest}
		}
	}
	if err != nil {
		return fmt.Errorf("demo: channel %s: %w", ChannelID, err)
	}
	if ch.HlsIngest == nil || len(ch.HlsIngest.IngestEndpoints) < 2 {
		return fmt.Errorf("demo: channel %s has no ingest endpoints", ChannelID)
	}
	for i := range info.Ingest {
		e := ch.HlsIngest.IngestEndpoints[i]
		info.Ingest[i] = IngestEndpoint{URL: aws.ToString(e.Url), Username: aws.ToString(e.Username), Password: aws.ToString(e.Password)}
	}
	return nil
}

// demoEndpoints are the demo channel's origin endpoints: HLS-TS, HLS-CMAF
// and DASH, whose UTCTiming points at utc.
//
// Every endpoint carries the encoder's program date-time (HLS
// EXT-X-PROGRAM-DATE-TIME on every segment; DASH maps media time to it),
// from which the page draws the time each frame was pushed.
func demoEndpoints(utc string) []*mediapackage.CreateOriginEndpointInput {
	return []*mediapackage.CreateOriginEndpointInput{
		{
			Id: aws.String(EndpointHLS), ChannelId: aws.String(ChannelID), Description: aws.String("HLS with TS segments"),
			HlsPackage: &types.HlsPackage{
				SegmentDurationSeconds:         aws.Int32(int32(segmentDuration.Seconds())),
				PlaylistWindowSeconds:          aws.Int32(windowSeconds),
				ProgramDateTimeIntervalSeconds: aws.Int32(int32(segmentDuration.Seconds())),
			},
		},
		{
			Id: aws.String(EndpointCMAF), ChannelId: aws.String(ChannelID), Description: aws.String("HLS with CMAF segments"),
			CmafPackage: &types.CmafPackageCreateOrUpdateParameters{
				SegmentDurationSeconds: aws.Int32(int32(segmentDuration.Seconds())),
				HlsManifests: []types.HlsManifestCreateOrUpdateParameters{{
					Id: aws.String("index"), ManifestName: aws.String("index"), PlaylistWindowSeconds: aws.Int32(windowSeconds),
					ProgramDateTimeIntervalSeconds: aws.Int32(int32(segmentDuration.Seconds())),
				}},
			},
		},
		{
			Id: aws.String(EndpointDASH), ChannelId: aws.String(ChannelID), Description: aws.String("DASH"),
			DashPackage: &types.DashPackage{
				SegmentDurationSeconds: aws.Int32(int32(segmentDuration.Seconds())),
				ManifestWindowSeconds:  aws.Int32(windowSeconds),
				MinBufferTimeSeconds:   aws.Int32(int32(segmentDuration.Seconds())),
				MinUpdatePeriodSeconds: aws.Int32(int32(segmentDuration.Seconds())),
				// Three segments behind the live edge, as HLS players sit.
				SuggestedPresentationDelaySeconds: aws.Int32(int32(3 * segmentDuration.Seconds())),
				SegmentTemplateFormat:             types.SegmentTemplateFormatNumberWithTimeline,
				UtcTiming:                         types.UtcTimingHttpIso,
				UtcTimingUri:                      aws.String(utc),
			},
		},
	}
}

// setUpEndpoints creates (or finds) the demo endpoints and fills info's
// playback URLs.
func setUpEndpoints(ctx context.Context, api *mediapackage.Client, info *Info) error {
	for _, in := range demoEndpoints(info.APIEndpoint + "/time") {
		ep, err := endpoint(ctx, api, in)
		if err != nil {
			return err
		}
		switch aws.ToString(in.Id) {
		case EndpointHLS:
			info.HLS = aws.ToString(ep.Url)
		case EndpointCMAF:
			if ep.CmafPackage == nil || len(ep.CmafPackage.HlsManifests) == 0 {
				return fmt.Errorf("demo: endpoint %s has no HLS manifest", EndpointCMAF)
			}
			info.CMAF = aws.ToString(ep.CmafPackage.HlsManifests[0].Url)
		case EndpointDASH:
			info.DASH = aws.ToString(ep.Url)
		}
	}
	return nil
}

// playbackPaths are info's playback URLs as paths, for the page.
func playbackPaths(info *Info) (*playback, error) {
	pb := &playback{}
	var err error
	if pb.HLS, err = pathOf(info.HLS); err == nil {
		if pb.CMAF, err = pathOf(info.CMAF); err == nil {
			pb.DASH, err = pathOf(info.DASH)
		}
	}
	if err != nil {
		return nil, err
	}
	return pb, nil
}

// endpoint creates an origin endpoint, or returns the one a kept data
// directory already has.
func endpoint(ctx context.Context, api *mediapackage.Client, in *mediapackage.CreateOriginEndpointInput) (*mediapackage.DescribeOriginEndpointOutput, error) {
	ep, err := api.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: in.Id})
	var nf *types.NotFoundException
	if errors.As(err, &nf) {
		var out *mediapackage.CreateOriginEndpointOutput
		if out, err = api.CreateOriginEndpoint(ctx, in); err == nil {
			ep = &mediapackage.DescribeOriginEndpointOutput{Url: out.Url, CmafPackage: out.CmafPackage, ChannelId: out.ChannelId}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("demo: origin endpoint %s: %w", aws.ToString(in.Id), err)
	}
	if got := aws.ToString(ep.ChannelId); got != ChannelID {
		return nil, fmt.Errorf("demo: origin endpoint %s belongs to channel %s, not %s: delete it or use another --data-dir", aws.ToString(in.Id), got, ChannelID)
	}
	return ep, nil
}

func pathOf(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	return p.RequestURI(), nil
}

// printInfo tells the user what is running and how to use it.
func printInfo(w io.Writer, info *Info) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("Boxcar demo is running. Watch it in a browser:")
	p("")
	p("  %s", info.PageURL)
	p("")
	p("Playback URLs of channel %q (any HLS or DASH player):", ChannelID)
	p("  HLS, TS segments    %s", info.HLS)
	p("  HLS, CMAF segments  %s", info.CMAF)
	p("  DASH                %s", info.DASH)
	p("")
	p("Ingest endpoints (the demo pushes its clip to the first, with Digest):")
	for i, e := range info.Ingest {
		p("  %d  %s", i+1, e.URL)
		p("     username %s  password %s", e.Username, e.Password)
	}
	p("")
	p("Push your own stream to the second one with ffmpeg (Boxcar fails over to it")
	p("when the demo's push stops; ffmpeg can only send Basic credentials):")
	basic := base64.StdEncoding.EncodeToString([]byte(info.Ingest[1].Username + ":" + info.Ingest[1].Password))
	p("  ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=1000 \\")
	p("    -c:v libx264 -preset veryfast -g 60 -sc_threshold 0 -c:a aac \\")
	p("    -f hls -hls_time 2 -hls_flags program_date_time -method PUT \\")
	p("    -headers \"Authorization: Basic %s\"$'\\r\\n' \\", basic)
	p("    %s.m3u8", info.Ingest[1].URL)
	p("")
	p("MediaPackage-compatible API at %s (AWS CLI, SDKs, Terraform):", info.APIEndpoint)
	p("  export AWS_ACCESS_KEY_ID=%s", info.AccessKeyID)
	p("  export AWS_SECRET_ACCESS_KEY=%s", info.SecretAccessKey)
	p("  export AWS_DEFAULT_REGION=%s", info.Region)
	p("  aws --endpoint-url %s mediapackage list-channels", info.APIEndpoint)
	p("")
	if info.Temporary {
		p("Data: %s (removed on exit). Ctrl-C stops the demo.", info.DataDir)
	} else {
		p("Data: %s (kept). Ctrl-C stops the demo.", info.DataDir)
	}
	p("")
}
