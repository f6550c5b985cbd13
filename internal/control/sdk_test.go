package control

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
	"github.com/google/go-cmp/cmp"

	"boxcar/internal/configstore"
	"boxcar/internal/testutil"
)

// The official AWS SDK for Go v2 is the client in these tests: if it
// accepts Boxcar's responses and raises its typed errors, so will the CLI
// and Terraform, which share the service model.

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var ctx = context.Background()

func mustCreateChannel(t testing.TB, c *mediapackage.Client, id string) *mediapackage.CreateChannelOutput {
	t.Helper()
	out, err := c.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("CreateChannel(%s): %v", id, err)
	}
	return out
}

// Full endpoint configurations: every member of every package type.
const (
	fairPlay  = "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
	widevine  = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
	playReady = "9a04f079-9840-4286-ab92-e65be0885f95"
)

func speke(v2 bool, systems ...string) *types.SpekeKeyProvider {
	sp := &types.SpekeKeyProvider{
		ResourceId:     aws.String("resource-1"),
		RoleArn:        aws.String("arn:aws:iam::123456789012:role/speke"),
		SystemIds:      systems,
		Url:            aws.String("https://keys.example.com/speke/v2.0/copyProtection"),
		CertificateArn: aws.String("arn:aws:acm:eu-west-1:123456789012:certificate/abc"),
	}
	if v2 {
		sp.EncryptionContractConfiguration = &types.EncryptionContractConfiguration{
			PresetSpeke20Audio: types.PresetSpeke20AudioPresetAudio1,
			PresetSpeke20Video: types.PresetSpeke20VideoPresetVideo2,
		}
	}
	return sp
}

func fullStreamSelection() *types.StreamSelection {
	return &types.StreamSelection{
		MinVideoBitsPerSecond: aws.Int32(500000),
		MaxVideoBitsPerSecond: aws.Int32(8000000),
		StreamOrder:           types.StreamOrderVideoBitrateDescending,
	}
}

func endpointBase(id, channel string) *mediapackage.CreateOriginEndpointInput {
	return &mediapackage.CreateOriginEndpointInput{
		Id:                     aws.String(id),
		ChannelId:              aws.String(channel),
		Description:            aws.String("full " + id),
		ManifestName:           aws.String("live"),
		StartoverWindowSeconds: aws.Int32(7200),
		TimeDelaySeconds:       aws.Int32(30),
		Whitelist:              []string{"192.0.2.0/24", "2001:db8::/32"},
		Origination:            types.OriginationAllow,
		Authorization: &types.Authorization{
			CdnIdentifierSecret: aws.String(testCDNARN),
			SecretsRoleArn:      aws.String("arn:aws:iam::123456789012:role/secrets"),
		},
		Tags: map[string]string{"team": "video", "env": "test"},
	}
}

func fullHLS(id, channel string) *mediapackage.CreateOriginEndpointInput {
	in := endpointBase(id, channel)
	in.HlsPackage = &types.HlsPackage{
		AdMarkers:                      types.AdMarkersDaterange,
		AdTriggers:                     []types.AdTriggersElement{types.AdTriggersElementSpliceInsert, types.AdTriggersElementBreak},
		AdsOnDeliveryRestrictions:      types.AdsOnDeliveryRestrictionsBoth,
		IncludeDvbSubtitles:            aws.Bool(true),
		IncludeIframeOnlyStream:        aws.Bool(true),
		PlaylistType:                   types.PlaylistTypeEvent,
		PlaylistWindowSeconds:          aws.Int32(120),
		ProgramDateTimeIntervalSeconds: aws.Int32(10),
		SegmentDurationSeconds:         aws.Int32(4),
		StreamSelection:                fullStreamSelection(),
		UseAudioRenditionGroup:         aws.Bool(true),
		Encryption: &types.HlsEncryption{
			ConstantInitializationVector: aws.String("0123456789abcdef0123456789ABCDEF"),
			EncryptionMethod:             types.EncryptionMethodSampleAes,
			KeyRotationIntervalSeconds:   aws.Int32(300),
			RepeatExtXKey:                aws.Bool(true),
			SpekeKeyProvider:             speke(false, fairPlay),
		},
	}
	return in
}

func fullCMAF(id, channel string) *mediapackage.CreateOriginEndpointInput {
	in := endpointBase(id, channel)
	in.CmafPackage = &types.CmafPackageCreateOrUpdateParameters{
		SegmentDurationSeconds: aws.Int32(4),
		SegmentPrefix:          aws.String("movie"),
		StreamSelection:        fullStreamSelection(),
		Encryption: &types.CmafEncryption{
			ConstantInitializationVector: aws.String("00000000000000000000000000000001"),
			EncryptionMethod:             types.CmafEncryptionMethodAesCtr,
			KeyRotationIntervalSeconds:   aws.Int32(0),
			SpekeKeyProvider:             speke(true, widevine, playReady),
		},
		HlsManifests: []types.HlsManifestCreateOrUpdateParameters{
			{
				Id:                             aws.String("main"),
				AdMarkers:                      types.AdMarkersScte35Enhanced,
				AdTriggers:                     []types.AdTriggersElement{types.AdTriggersElementProviderAdvertisement},
				AdsOnDeliveryRestrictions:      types.AdsOnDeliveryRestrictionsUnrestricted,
				IncludeIframeOnlyStream:        aws.Bool(true),
				ManifestName:                   aws.String("master"),
				PlaylistType:                   types.PlaylistTypeNone,
				PlaylistWindowSeconds:          aws.Int32(90),
				ProgramDateTimeIntervalSeconds: aws.Int32(5),
			},
			{Id: aws.String("alt"), AdTriggers: []types.AdTriggersElement{}},
		},
	}
	return in
}

func fullDASH(id, channel string) *mediapackage.CreateOriginEndpointInput {
	in := endpointBase(id, channel)
	in.DashPackage = &types.DashPackage{
		AdTriggers:                        []types.AdTriggersElement{types.AdTriggersElementDistributorPlacementOpportunity},
		AdsOnDeliveryRestrictions:         types.AdsOnDeliveryRestrictionsRestricted,
		IncludeIframeOnlyStream:           aws.Bool(true),
		ManifestLayout:                    types.ManifestLayoutCompact,
		ManifestWindowSeconds:             aws.Int32(120),
		MinBufferTimeSeconds:              aws.Int32(10),
		MinUpdatePeriodSeconds:            aws.Int32(4),
		PeriodTriggers:                    []types.PeriodTriggersElement{types.PeriodTriggersElementAds},
		Profile:                           types.ProfileHbbtv15,
		SegmentDurationSeconds:            aws.Int32(4),
		SegmentTemplateFormat:             types.SegmentTemplateFormatTimeWithTimeline,
		StreamSelection:                   fullStreamSelection(),
		SuggestedPresentationDelaySeconds: aws.Int32(12),
		UtcTiming:                         types.UtcTimingHttpIso,
		UtcTimingUri:                      aws.String("https://time.example.com/iso"),
		Encryption: &types.DashEncryption{
			KeyRotationIntervalSeconds: aws.Int32(0),
			SpekeKeyProvider:           speke(true, widevine, playReady),
		},
	}
	return in
}

func fullMSS(id, channel string) *mediapackage.CreateOriginEndpointInput {
	in := endpointBase(id, channel)
	in.MssPackage = &types.MssPackage{
		ManifestWindowSeconds:  aws.Int32(30),
		SegmentDurationSeconds: aws.Int32(2),
		StreamSelection:        fullStreamSelection(),
		Encryption:             &types.MssEncryption{SpekeKeyProvider: speke(false, playReady)},
	}
	return in
}

// minimal returns endpoints with only the required members, to show the
// defaults.
func minimal(id, channel, kind string) *mediapackage.CreateOriginEndpointInput {
	in := &mediapackage.CreateOriginEndpointInput{Id: aws.String(id), ChannelId: aws.String(channel)}
	switch kind {
	case "hls":
		in.HlsPackage = &types.HlsPackage{}
	case "cmaf":
		in.CmafPackage = &types.CmafPackageCreateOrUpdateParameters{HlsManifests: []types.HlsManifestCreateOrUpdateParameters{{Id: aws.String("m")}}}
	case "dash":
		in.DashPackage = &types.DashPackage{UtcTiming: types.UtcTimingHttpHead}
	case "mss":
		in.MssPackage = &types.MssPackage{}
	}
	return in
}

// normalize replaces the values that change from run to run.
func normalize(t testing.TB, body []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, body)
	}
	var walk func(v any, inIngest bool)
	walk = func(v any, inIngest bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch {
				case k == "createdAt" || k == "startTime" || k == "endTime":
					x[k] = "<" + k + ">"
				case inIngest && (k == "id" || k == "url" || k == "username" || k == "password"):
					x[k] = "<" + k + ">"
				default:
					walk(val, inIngest || k == "ingestEndpoints")
				}
			}
		case []any:
			for _, el := range x {
				walk(el, inIngest)
			}
		}
	}
	walk(v, false)
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return []byte(out.String())
}

func golden(t testing.TB, name string, body []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), normalize(t, body), *update)
}

// sameJSON compares two SDK values by their exported members.
func sameJSON(t testing.TB, what string, want, got any) {
	t.Helper()
	strip := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		delete(m, "ResultMetadata")
		return m
	}
	if diff := cmp.Diff(strip(want), strip(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func TestChannelLifecycle(t *testing.T) {
	e := newEnv(t)
	created, err := e.admin.CreateChannel(ctx, &mediapackage.CreateChannelInput{
		Id: aws.String("news"), Description: aws.String("24/7 news"), Tags: map[string]string{"team": "news"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(created.Arn), "arn:aws:mediapackage:eu-west-1:123456789012:channels/news"; got != want {
		t.Errorf("arn = %q, want %q", got, want)
	}
	ies := created.HlsIngest.IngestEndpoints
	if len(ies) != 2 {
		t.Fatalf("%d ingest endpoints, want 2", len(ies))
	}
	for i, ie := range ies {
		id := aws.ToString(ie.Id)
		if len(id) != 32 || !isHex(id) || strings.ToLower(id) != id {
			t.Errorf("ingest endpoint %d id %q: want 32 lower-case hex characters", i, id)
		}
		if got, want := aws.ToString(ie.Url), testPublic+"/in/v2/news/"+id+"/channel"; got != want {
			t.Errorf("ingest endpoint %d url = %q, want %q", i, got, want)
		}
		if u := aws.ToString(ie.Username); len(u) != 32 || !isHex(u) {
			t.Errorf("username %q: want 32 hex characters", u)
		}
		if p := aws.ToString(ie.Password); len(p) != 32 {
			t.Errorf("password has %d characters, want 32", len(p))
		}
	}
	if aws.ToString(ies[0].Password) == aws.ToString(ies[1].Password) || aws.ToString(ies[0].Id) == aws.ToString(ies[1].Id) {
		t.Errorf("the two ingest endpoints share an id or password")
	}

	desc, err := e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("news")})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "DescribeChannel vs CreateChannel", created, desc)
	golden(t, "describe_channel.json", e.do(t, "GET", "/channels/news", "").body)

	upd, err := e.admin.UpdateChannel(ctx, &mediapackage.UpdateChannelInput{Id: aws.String("news"), Description: aws.String("changed")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.Description) != "changed" || aws.ToString(upd.HlsIngest.IngestEndpoints[0].Password) != aws.ToString(ies[0].Password) {
		t.Errorf("UpdateChannel changed more than the description: %+v", upd)
	}

	logs, err := e.admin.ConfigureLogs(ctx, &mediapackage.ConfigureLogsInput{
		Id:                aws.String("news"),
		EgressAccessLogs:  &types.EgressAccessLogs{},
		IngressAccessLogs: &types.IngressAccessLogs{LogGroupName: aws.String("/aws/MediaPackage/news-in")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(logs.EgressAccessLogs.LogGroupName); got != defaultEgressLogGroup {
		t.Errorf("egress log group = %q, want the default %q", got, defaultEgressLogGroup)
	}
	if got := aws.ToString(logs.IngressAccessLogs.LogGroupName); got != "/aws/MediaPackage/news-in" {
		t.Errorf("ingress log group = %q", got)
	}

	// Rotating one ingest endpoint changes only its credentials.
	rot, err := e.admin.RotateIngestEndpointCredentials(ctx, &mediapackage.RotateIngestEndpointCredentialsInput{
		Id: aws.String("news"), IngestEndpointId: ies[1].Id,
	})
	if err != nil {
		t.Fatal(err)
	}
	after := rot.HlsIngest.IngestEndpoints
	if aws.ToString(after[1].Password) == aws.ToString(ies[1].Password) || aws.ToString(after[1].Username) == aws.ToString(ies[1].Username) {
		t.Errorf("RotateIngestEndpointCredentials kept the old username or password")
	}
	if aws.ToString(after[0].Password) != aws.ToString(ies[0].Password) {
		t.Errorf("RotateIngestEndpointCredentials changed the other ingest endpoint")
	}
	if aws.ToString(after[1].Id) != aws.ToString(ies[1].Id) || aws.ToString(after[1].Url) != aws.ToString(ies[1].Url) {
		t.Errorf("rotation changed the ingest endpoint's id or url")
	}
	// The deprecated call rotates both.
	both, err := e.admin.RotateChannelCredentials(ctx, &mediapackage.RotateChannelCredentialsInput{Id: aws.String("news")})
	if err != nil {
		t.Fatal(err)
	}
	for i, ie := range both.HlsIngest.IngestEndpoints {
		if aws.ToString(ie.Password) == aws.ToString(after[i].Password) {
			t.Errorf("RotateChannelCredentials kept ingest endpoint %d's password", i)
		}
	}

	list, err := e.readOnly.ListChannels(ctx, &mediapackage.ListChannelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	// Read-only keys do not see ingest passwords.
	roDesc, err := e.readOnly.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("news")})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range append(list.Channels, types.Channel{HlsIngest: roDesc.HlsIngest}) {
		for _, ie := range ch.HlsIngest.IngestEndpoints {
			if aws.ToString(ie.Password) != "" || aws.ToString(ie.Username) == "" {
				t.Errorf("read-only key sees password %q / username %q, want the password blanked", aws.ToString(ie.Password), aws.ToString(ie.Username))
			}
		}
	}
	if len(list.Channels) != 1 || aws.ToString(list.Channels[0].Id) != "news" || list.NextToken != nil {
		t.Errorf("ListChannels = %d channels, next %v", len(list.Channels), list.NextToken)
	}

	if _, err := e.admin.DeleteChannel(ctx, &mediapackage.DeleteChannelInput{Id: aws.String("news")}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-e.deleted:
		if id != "news" {
			t.Errorf("ChannelDeleted(%q), want news", id)
		}
	default:
		t.Errorf("ChannelDeleted was not called")
	}
	_, err = e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("news")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeChannel after delete: got %v, want NotFoundException", err)
	}
}

func TestEndpointLifecycle(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	mustCreateChannel(t, e.admin, "other")
	full := map[string]func(id, ch string) *mediapackage.CreateOriginEndpointInput{
		"hls": fullHLS, "cmaf": fullCMAF, "dash": fullDASH, "mss": fullMSS,
	}
	for _, kind := range []string{"hls", "cmaf", "dash", "mss"} {
		t.Run(kind, func(t *testing.T) {
			id := "full-" + kind
			created, err := e.admin.CreateOriginEndpoint(ctx, full[kind](id, "ch"))
			if err != nil {
				t.Fatal(err)
			}
			desc, err := e.readOnly.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "DescribeOriginEndpoint vs CreateOriginEndpoint", created, desc)
			golden(t, "describe_endpoint_"+kind+".json", e.do(t, "GET", "/origin_endpoints/"+id, "").body)

			minID := "min-" + kind
			if _, err := e.admin.CreateOriginEndpoint(ctx, minimal(minID, "other", kind)); err != nil {
				t.Fatal(err)
			}
			golden(t, "describe_endpoint_"+kind+"_defaults.json", e.do(t, "GET", "/origin_endpoints/"+minID, "").body)
		})
	}

	// URLs per package type.
	wantURL := map[string]string{
		"full-hls":  testPublic + "/out/v1/full-hls/live.m3u8",
		"full-cmaf": testPublic + "/out/v1/full-cmaf/main/master.m3u8",
		"full-dash": testPublic + "/out/v1/full-dash/live.mpd",
		"full-mss":  testPublic + "/out/v1/full-mss/live.ism/Manifest",
		"min-hls":   testPublic + "/out/v1/min-hls/index.m3u8",
	}
	for id, want := range wantURL {
		ep, err := e.admin.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(ep.Url); got != want {
			t.Errorf("%s url = %q, want %q", id, got, want)
		}
	}
	cmaf, _ := e.admin.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String("full-cmaf")})
	if got, want := aws.ToString(cmaf.CmafPackage.HlsManifests[1].Url), testPublic+"/out/v1/full-cmaf/alt/live.m3u8"; got != want {
		t.Errorf("second CMAF manifest url = %q, want %q", got, want)
	}
	if got := cmaf.CmafPackage.HlsManifests[1].AdTriggers; got == nil || len(got) != 0 {
		t.Errorf("explicit empty adTriggers came back as %v, want []", got)
	}

	// Listing, filtered by channel.
	var ids []string
	p := mediapackage.NewListOriginEndpointsPaginator(e.readOnly, &mediapackage.ListOriginEndpointsInput{ChannelId: aws.String("ch"), MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range out.OriginEndpoints {
			ids = append(ids, aws.ToString(ep.Id))
		}
	}
	if diff := cmp.Diff([]string{"full-cmaf", "full-dash", "full-hls", "full-mss"}, ids); diff != "" {
		t.Errorf("ListOriginEndpoints(ch) (-want +got):\n%s", diff)
	}

	// Giving another package switches the type: HLS → DASH, keeping
	// identity, tags and every top-level setting the request leaves out.
	before, _ := e.admin.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String("full-hls")})
	upd, err := e.admin.UpdateOriginEndpoint(ctx, &mediapackage.UpdateOriginEndpointInput{
		Id:           aws.String("full-hls"),
		ManifestName: aws.String("dash"),
		DashPackage:  &types.DashPackage{SegmentDurationSeconds: aws.Int32(6)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.HlsPackage != nil || upd.DashPackage == nil || aws.ToInt32(upd.DashPackage.SegmentDurationSeconds) != 6 {
		t.Errorf("update did not replace the package: %+v", upd)
	}
	if aws.ToString(upd.Url) != testPublic+"/out/v1/full-hls/dash.mpd" || aws.ToString(upd.ChannelId) != "ch" ||
		aws.ToString(upd.CreatedAt) != aws.ToString(before.CreatedAt) || upd.Tags["team"] != "video" ||
		aws.ToString(upd.Arn) != aws.ToString(before.Arn) {
		t.Errorf("update changed identity, url or tags: %+v", upd)
	}
	if len(upd.Whitelist) != 2 || upd.Authorization == nil || aws.ToInt32(upd.StartoverWindowSeconds) != 7200 || aws.ToInt32(upd.TimeDelaySeconds) != 30 {
		t.Errorf("update dropped settings the request left out: %+v", upd)
	}

	// Round trip: a describe response's settings sent back as an update
	// change nothing.
	var settings map[string]any
	json.Unmarshal(e.do(t, "GET", "/origin_endpoints/full-cmaf", "").body, &settings)
	for _, k := range []string{"arn", "id", "channelId", "url", "createdAt", "tags"} {
		delete(settings, k)
	}
	for _, m := range settings["cmafPackage"].(map[string]any)["hlsManifests"].([]any) {
		delete(m.(map[string]any), "url")
	}
	body, _ := json.Marshal(settings)
	wantBody := e.do(t, "GET", "/origin_endpoints/full-cmaf", "").body
	if r := e.do(t, "PUT", "/origin_endpoints/full-cmaf", string(body)); r.status != 200 {
		t.Fatalf("round-trip update: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(string(wantBody), string(e.do(t, "GET", "/origin_endpoints/full-cmaf", "").body)); diff != "" {
		t.Errorf("round-trip update changed the endpoint (-want +got):\n%s", diff)
	}

	// A channel with endpoints cannot be deleted.
	_, err = e.admin.DeleteChannel(ctx, &mediapackage.DeleteChannelInput{Id: aws.String("other")})
	var ue *types.UnprocessableEntityException
	if !errors.As(err, &ue) || !strings.Contains(ue.ErrorMessage(), "delete its endpoints first") {
		t.Fatalf("DeleteChannel with endpoints: got %v, want UnprocessableEntityException saying to delete the endpoints", err)
	}
	for _, kind := range []string{"hls", "cmaf", "dash", "mss"} {
		if _, err := e.admin.DeleteOriginEndpoint(ctx, &mediapackage.DeleteOriginEndpointInput{Id: aws.String("min-" + kind)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.admin.DeleteChannel(ctx, &mediapackage.DeleteChannelInput{Id: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String("min-hls")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("describe deleted endpoint: got %v, want NotFoundException", err)
	}
}

func TestHarvestJobs(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	mustCreateChannel(t, e.admin, "ch2")
	for _, ep := range []*mediapackage.CreateOriginEndpointInput{fullHLS("ep", "ch"), fullDASH("ep2", "ch2")} {
		if _, err := e.admin.CreateOriginEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	dest := &types.S3Destination{BucketName: aws.String("vod-bucket"), ManifestKey: aws.String("clips/a/index.m3u8"), RoleArn: aws.String("arn:aws:iam::123456789012:role/s3")}
	for i, ep := range []string{"ep", "ep2", "ep"} {
		job, err := e.admin.CreateHarvestJob(ctx, &mediapackage.CreateHarvestJobInput{
			Id:               aws.String(fmt.Sprintf("job%d", i)),
			OriginEndpointId: aws.String(ep),
			StartTime:        aws.String(now.Add(-time.Hour).Format(time.RFC3339)),
			EndTime:          aws.String(now.Add(-10 * time.Minute).Format(time.RFC3339)),
			S3Destination:    dest,
		})
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != types.StatusInProgress {
			t.Errorf("status = %q, want IN_PROGRESS", job.Status)
		}
	}
	desc, err := e.readOnly.DescribeHarvestJob(ctx, &mediapackage.DescribeHarvestJobInput{Id: aws.String("job1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.ChannelId) != "ch2" || aws.ToString(desc.OriginEndpointId) != "ep2" ||
		aws.ToString(desc.Arn) != "arn:aws:mediapackage:eu-west-1:123456789012:harvest_jobs/job1" {
		t.Errorf("DescribeHarvestJob = %+v", desc)
	}
	golden(t, "describe_harvest_job.json", e.do(t, "GET", "/harvest_jobs/job1", "").body)

	// The harvester marks a job done; filters see it.
	if _, err := e.store.UpdateHarvestJob(ctx, "job2", func(j *configstore.HarvestJob) error { j.Status = "SUCCEEDED"; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		channel, status string
		want            []string
	}{
		{"", "", []string{"job0", "job1", "job2"}},
		{"ch", "", []string{"job0", "job2"}},
		{"ch", "IN_PROGRESS", []string{"job0"}},
		{"", "SUCCEEDED", []string{"job2"}},
		{"ch2", "FAILED", nil},
	} {
		in := &mediapackage.ListHarvestJobsInput{MaxResults: aws.Int32(1)}
		if tc.channel != "" {
			in.IncludeChannelId = aws.String(tc.channel)
		}
		if tc.status != "" {
			in.IncludeStatus = aws.String(tc.status)
		}
		var got []string
		p := mediapackage.NewListHarvestJobsPaginator(e.readOnly, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range out.HarvestJobs {
				got = append(got, aws.ToString(j.Id))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ListHarvestJobs(%q, %q) (-want +got):\n%s", tc.channel, tc.status, diff)
		}
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ch := mustCreateChannel(t, e.admin, "ch")
	ep, err := e.admin.CreateOriginEndpoint(ctx, minimal("ep", "ch", "hls"))
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{aws.ToString(ch.Arn), aws.ToString(ep.Arn)} {
		if _, err := e.admin.TagResource(ctx, &mediapackage.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"a": "1", "b": "2", "c": "3"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.UntagResource(ctx, &mediapackage.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a", "c", "missing"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.TagResource(ctx, &mediapackage.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"b": "two", "d": "with spaces/and:colons"}}); err != nil {
			t.Fatal(err)
		}
		out, err := e.readOnly.ListTagsForResource(ctx, &mediapackage.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"b": "two", "d": "with spaces/and:colons"}, out.Tags); diff != "" {
			t.Errorf("tags of %s (-want +got):\n%s", arn, diff)
		}
	}
	// Describe shows the tags too.
	d, _ := e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("ch")})
	if d.Tags["b"] != "two" {
		t.Errorf("DescribeChannel tags = %v", d.Tags)
	}
	// The tag API has no typed errors in the model: the SDK reports a
	// generic API error with our code.
	_, err = e.admin.ListTagsForResource(ctx, &mediapackage.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:mediapackage:eu-west-1:123456789012:channels/nope")})
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotFoundException" {
		t.Fatalf("tags of a missing channel: got %v, want NotFoundException", err)
	}
}

func TestPaginationOverThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,050 channels")
	}
	e := newEnv(t)
	const n = 1050
	var want []string
	for i := range n {
		id := fmt.Sprintf("ch%05d", i)
		want = append(want, id)
		if err := e.store.CreateChannel(ctx, &configstore.Channel{ID: id, ARN: e.api.channelARN(id)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int32{0, 1000, 333} {
		in := &mediapackage.ListChannelsInput{}
		if limit > 0 {
			in.MaxResults = aws.Int32(limit)
		}
		var got []string
		pages := 0
		p := mediapackage.NewListChannelsPaginator(e.readOnly, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			max := int(limit)
			if max == 0 {
				max = defaultMaxResults
			}
			if len(out.Channels) > max {
				t.Fatalf("page of %d channels, maxResults %d", len(out.Channels), max)
			}
			for _, c := range out.Channels {
				got = append(got, aws.ToString(c.Id))
			}
		}
		if !slices.Equal(want, got) {
			t.Errorf("maxResults %d: listed %d channels, want %d in id order", limit, len(got), len(want))
		}
		size := int(limit)
		if size == 0 {
			size = defaultMaxResults
		}
		wantPages := (n + size - 1) / size
		if pages != wantPages {
			t.Errorf("maxResults %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
}

func TestTypedErrors(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	var (
		nf *types.NotFoundException
		ue *types.UnprocessableEntityException
		fb *types.ForbiddenException
	)
	_, err := e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("missing")})
	if !errors.As(err, &nf) {
		t.Errorf("DescribeChannel(missing): got %v, want NotFoundException", err)
	}
	_, err = e.admin.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String("missing")})
	if !errors.As(err, &nf) {
		t.Errorf("DescribeOriginEndpoint(missing): got %v, want NotFoundException", err)
	}
	_, err = e.admin.DescribeHarvestJob(ctx, &mediapackage.DescribeHarvestJobInput{Id: aws.String("missing")})
	if !errors.As(err, &nf) {
		t.Errorf("DescribeHarvestJob(missing): got %v, want NotFoundException", err)
	}
	_, err = e.admin.CreateOriginEndpoint(ctx, minimal("ep", "missing", "hls"))
	if !errors.As(err, &nf) {
		t.Errorf("endpoint on a missing channel: got %v, want NotFoundException", err)
	}
	_, err = e.admin.RotateIngestEndpointCredentials(ctx, &mediapackage.RotateIngestEndpointCredentialsInput{Id: aws.String("ch"), IngestEndpointId: aws.String("0000")})
	if !errors.As(err, &nf) {
		t.Errorf("rotate a missing ingest endpoint: got %v, want NotFoundException", err)
	}
	_, err = e.admin.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String("ch")})
	if !errors.As(err, &ue) || !strings.Contains(ue.ErrorMessage(), "already exists") {
		t.Errorf("duplicate channel: got %v, want UnprocessableEntityException", err)
	}
	_, err = e.admin.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{
		Id: aws.String("ep"), ChannelId: aws.String("ch"), HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(0)},
	})
	if !errors.As(err, &ue) || ue.ErrorMessage() != "hlsPackage.segmentDurationSeconds: must be between 1 and 30, got 0" {
		t.Errorf("segment duration 0: got %v", err)
	}
	_, err = e.readOnly.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String("ro")})
	if !errors.As(err, &fb) {
		t.Errorf("read-only CreateChannel: got %v, want ForbiddenException", err)
	}
	if _, err := e.readOnly.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("ro")}); !errors.As(err, &nf) {
		t.Errorf("the refused create happened: %v", err)
	}
	_, err = e.readOnly.DeleteChannel(ctx, &mediapackage.DeleteChannelInput{Id: aws.String("ch")})
	if !errors.As(err, &fb) {
		t.Errorf("read-only DeleteChannel: got %v, want ForbiddenException", err)
	}
	if _, err := e.readOnly.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("ch")}); err != nil {
		t.Errorf("read-only DescribeChannel: %v", err)
	}
}

func TestReopen(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	for _, in := range []*mediapackage.CreateOriginEndpointInput{fullHLS("hls", "ch"), fullCMAF("cmaf", "ch"), fullDASH("dash", "ch"), fullMSS("mss", "ch")} {
		if _, err := e.admin.CreateOriginEndpoint(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	if _, err := e.admin.CreateHarvestJob(ctx, &mediapackage.CreateHarvestJobInput{
		Id: aws.String("job"), OriginEndpointId: aws.String("hls"),
		StartTime: aws.String(now.Add(-time.Hour).Format(time.RFC3339)), EndTime: aws.String(now.Add(-time.Minute).Format(time.RFC3339)),
		S3Destination: &types.S3Destination{BucketName: aws.String("b-1"), ManifestKey: aws.String("k.m3u8"), RoleArn: aws.String("arn:aws:iam::1:role/r")},
	}); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/channels", "/channels/ch", "/origin_endpoints", "/origin_endpoints/dash", "/harvest_jobs/job", "/harvest_jobs"}
	before := map[string]string{}
	for _, p := range paths {
		before[p] = string(e.do(t, "GET", p, "").body)
	}

	e.srv.Close()
	if err := e.api.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := configstore.OpenBolt(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	e.store = st
	e.start(t)
	for _, p := range paths {
		if diff := cmp.Diff(before[p], string(e.do(t, "GET", p, "").body)); diff != "" {
			t.Errorf("GET %s after reopening (-before +after):\n%s", p, diff)
		}
	}
}

func TestAuditAndMetrics(t *testing.T) {
	e := newEnv(t)
	ch := mustCreateChannel(t, e.admin, "ch")
	rot, err := e.admin.RotateIngestEndpointCredentials(ctx, &mediapackage.RotateIngestEndpointCredentialsInput{Id: aws.String("ch"), IngestEndpointId: ch.HlsIngest.IngestEndpoints[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	ep := fullHLS("ep", "ch")
	if _, err := e.admin.CreateOriginEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	e.readOnly.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("ch")})
	e.readOnly.DeleteChannel(ctx, &mediapackage.DeleteChannelInput{Id: aws.String("ch")})
	e.client(adminKey, "wrong").CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String("x")})

	var recs []auditRecord
	for line := range strings.Lines(e.audit.String()) {
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	want := []struct {
		op, key, resource string
		status            int
	}{
		{"CreateChannel", adminKey, aws.ToString(ch.Arn), 200},
		{"RotateIngestEndpointCredentials", adminKey, aws.ToString(ch.Arn) + "/ingest_endpoints/" + aws.ToString(ch.HlsIngest.IngestEndpoints[0].Id), 200},
		{"CreateOriginEndpoint", adminKey, "arn:aws:mediapackage:eu-west-1:123456789012:origin_endpoints/ep", 200},
		{"DeleteChannel", readKey, "/channels/ch", 403},
		{"CreateChannel", "", "/channels", 403},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d audit lines, want %d (one per mutating call, reads not logged):\n%s", len(recs), len(want), e.audit.String())
	}
	for i, w := range want {
		r := recs[i]
		if r.Operation != w.op || r.AccessKeyID != w.key || r.Resource != w.resource || r.Status != w.status || r.SourceIP != "127.0.0.1" || r.Time == "" || r.RequestID == "" {
			t.Errorf("audit line %d = %+v, want %+v", i, r, w)
		}
	}

	// No secret reaches the audit log or the process log.
	secrets := []string{adminSecret, readSecret, testCDNValue}
	for _, ie := range append(ch.HlsIngest.IngestEndpoints, rot.HlsIngest.IngestEndpoints...) {
		secrets = append(secrets, aws.ToString(ie.Password))
	}
	for _, s := range secrets {
		if strings.Contains(e.audit.String(), s) || strings.Contains(e.logs.String(), s) {
			t.Errorf("a secret (%.4s…) appears in the audit or process log", s)
		}
	}

	if got := testutil.Metric(t, e.registry, "boxcar_api_requests_total", map[string]string{"operation": "CreateChannel", "code_class": "2xx"}); got != 1 {
		t.Errorf(`requests{CreateChannel,2xx} = %g, want 1`, got)
	}
	if got := testutil.Metric(t, e.registry, "boxcar_api_requests_total", map[string]string{"operation": "CreateChannel", "code_class": "4xx"}); got != 1 {
		t.Errorf(`requests{CreateChannel,4xx} = %g, want 1`, got)
	}
	if got := testutil.Metric(t, e.registry, "boxcar_api_request_duration_seconds", map[string]string{"operation": "DescribeChannel"}); got != 1 {
		t.Errorf(`duration{DescribeChannel} count = %g, want 1`, got)
	}
}
