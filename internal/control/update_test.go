package control

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
	"github.com/google/go-cmp/cmp"
)

// describeMap is GET /origin_endpoints/{id} as a generic JSON object.
func describeMap(t *testing.T, e *testEnv, id string) map[string]any {
	t.Helper()
	r := e.do(t, "GET", "/origin_endpoints/"+id, "")
	if r.status != 200 {
		t.Fatalf("describe %s: %d %s", id, r.status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var fullEndpoints = map[string]func(id, ch string) *mediapackage.CreateOriginEndpointInput{
	"hls": fullHLS, "cmaf": fullCMAF, "dash": fullDASH, "mss": fullMSS,
}

// TestUpdateDescriptionOnly is `aws mediapackage update-origin-endpoint
// --id X --description Y` on endpoints with every member set: it succeeds
// and changes the description and nothing else — the playback URL, the
// allow list, CDN authorization, startover window, time delay and the
// whole package stay.
func TestUpdateDescriptionOnly(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	for _, kind := range []string{"hls", "cmaf", "dash", "mss"} {
		t.Run(kind, func(t *testing.T) {
			id := "full-" + kind
			created, err := e.admin.CreateOriginEndpoint(ctx, fullEndpoints[kind](id, "ch"))
			if err != nil {
				t.Fatal(err)
			}
			before := describeMap(t, e, id)
			upd, err := e.admin.UpdateOriginEndpoint(ctx, &mediapackage.UpdateOriginEndpointInput{
				Id: aws.String(id), Description: aws.String("new words"),
			})
			if err != nil {
				t.Fatalf("UpdateOriginEndpoint with only a description: %v", err)
			}
			if got, want := aws.ToString(upd.Url), aws.ToString(created.Url); got != want {
				t.Errorf("url = %q, want %q (unchanged)", got, want)
			}
			want := before
			want["description"] = "new words"
			if diff := cmp.Diff(want, describeMap(t, e, id)); diff != "" {
				t.Errorf("describe after a description-only update (-want +got):\n%s", diff)
			}
		})
	}
	// An empty update changes nothing at all.
	before := describeMap(t, e, "full-hls")
	if _, err := e.admin.UpdateOriginEndpoint(ctx, &mediapackage.UpdateOriginEndpointInput{Id: aws.String("full-hls")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, describeMap(t, e, "full-hls")); diff != "" {
		t.Errorf("empty update changed the endpoint (-before +after):\n%s", diff)
	}
}

// emptySPEKE is a key provider with its required members present (so the
// SDK sends it) and empty: with it an update removes encryption.
func emptySPEKE() *types.SpekeKeyProvider {
	return &types.SpekeKeyProvider{ResourceId: aws.String(""), RoleArn: aws.String(""), SystemIds: []string{}, Url: aws.String("")}
}

func pkg(m map[string]any, name string) map[string]any { return m[name].(map[string]any) }

// TestUpdateMerges: each update names a few members; the describe
// response afterwards is the one before with exactly those changes.
func TestUpdateMerges(t *testing.T) {
	const base = testPublic + "/out/v1/"
	for _, tc := range []struct {
		name, kind string
		in         mediapackage.UpdateOriginEndpointInput
		want       func(m map[string]any) // applies the expected changes
	}{
		{
			name: "manifestName moves the URL", kind: "hls",
			in: mediapackage.UpdateOriginEndpointInput{ManifestName: aws.String("news")},
			want: func(m map[string]any) {
				m["manifestName"] = "news"
				m["url"] = base + "ep/news.m3u8"
			},
		},
		{
			name: "top-level members", kind: "hls",
			in: mediapackage.UpdateOriginEndpointInput{
				Origination: types.OriginationDeny, Whitelist: []string{"198.51.100.0/24"}, StartoverWindowSeconds: aws.Int32(3600),
			},
			want: func(m map[string]any) {
				m["origination"] = "DENY"
				m["whitelist"] = []any{"198.51.100.0/24"}
				m["startoverWindowSeconds"] = 3600.0
			},
		},
		{
			name: "clearing: empty allow list and authorization, 0 startover and delay", kind: "hls",
			in: mediapackage.UpdateOriginEndpointInput{
				Whitelist: []string{}, Authorization: &types.Authorization{CdnIdentifierSecret: aws.String(""), SecretsRoleArn: aws.String("")},
				StartoverWindowSeconds: aws.Int32(0), TimeDelaySeconds: aws.Int32(0),
			},
			want: func(m map[string]any) {
				for _, k := range []string{"whitelist", "authorization", "startoverWindowSeconds", "timeDelaySeconds"} {
					delete(m, k)
				}
			},
		},
		{
			name: "HLS package member", kind: "hls",
			in: mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(2), PlaylistType: types.PlaylistTypeNone}},
			want: func(m map[string]any) {
				pkg(m, "hlsPackage")["segmentDurationSeconds"] = 2.0
				pkg(m, "hlsPackage")["playlistType"] = "NONE"
			},
		},
		{
			name: "HLS encryption sent empty removes it", kind: "hls",
			in:   mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{Encryption: &types.HlsEncryption{SpekeKeyProvider: emptySPEKE()}}},
			want: func(m map[string]any) { delete(pkg(m, "hlsPackage"), "encryption") },
		},
		{
			name: "HLS encryption given replaces it whole", kind: "hls",
			in: mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{Encryption: &types.HlsEncryption{
				SpekeKeyProvider: &types.SpekeKeyProvider{
					ResourceId: aws.String("r2"), RoleArn: aws.String("arn:aws:iam::1:role/k"), SystemIds: []string{fairPlay}, Url: aws.String("https://keys.example.com/2"),
				},
			}}},
			want: func(m map[string]any) {
				pkg(m, "hlsPackage")["encryption"] = map[string]any{
					"encryptionMethod": "AES_128", "keyRotationIntervalSeconds": 60.0, "repeatExtXKey": false,
					"spekeKeyProvider": map[string]any{"resourceId": "r2", "roleArn": "arn:aws:iam::1:role/k", "systemIds": []any{fairPlay}, "url": "https://keys.example.com/2"},
				}
			},
		},
		{
			name: "CMAF package member keeps the manifests", kind: "cmaf",
			in:   mediapackage.UpdateOriginEndpointInput{CmafPackage: &types.CmafPackageCreateOrUpdateParameters{SegmentDurationSeconds: aws.Int32(2)}},
			want: func(m map[string]any) { pkg(m, "cmafPackage")["segmentDurationSeconds"] = 2.0 },
		},
		{
			name: "CMAF manifests merge by id", kind: "cmaf",
			in: mediapackage.UpdateOriginEndpointInput{CmafPackage: &types.CmafPackageCreateOrUpdateParameters{
				HlsManifests: []types.HlsManifestCreateOrUpdateParameters{
					{Id: aws.String("main"), PlaylistWindowSeconds: aws.Int32(30)},
					{Id: aws.String("extra")},
				},
			}},
			want: func(m map[string]any) {
				ms := pkg(m, "cmafPackage")["hlsManifests"].([]any)
				main := ms[0].(map[string]any)
				main["playlistWindowSeconds"] = 30.0 // manifestName "master" and its URL stay
				pkg(m, "cmafPackage")["hlsManifests"] = []any{main, map[string]any{
					"id": "extra", "manifestName": "live", "url": base + "ep/extra/live.m3u8",
					"adMarkers": "NONE", "adTriggers": []any{"SPLICE_INSERT", "PROVIDER_ADVERTISEMENT", "DISTRIBUTOR_ADVERTISEMENT", "PROVIDER_PLACEMENT_OPPORTUNITY", "DISTRIBUTOR_PLACEMENT_OPPORTUNITY"},
					"adsOnDeliveryRestrictions": "RESTRICTED", "includeIframeOnlyStream": false, "playlistType": "NONE", "playlistWindowSeconds": 60.0,
				}}
			},
		},
		{
			name: "DASH package member", kind: "dash",
			in:   mediapackage.UpdateOriginEndpointInput{DashPackage: &types.DashPackage{MinBufferTimeSeconds: aws.Int32(20)}},
			want: func(m map[string]any) { pkg(m, "dashPackage")["minBufferTimeSeconds"] = 20.0 },
		},
		{
			name: "DASH utcTiming NONE drops the URI", kind: "dash",
			in: mediapackage.UpdateOriginEndpointInput{DashPackage: &types.DashPackage{UtcTiming: types.UtcTimingNone}},
			want: func(m map[string]any) {
				pkg(m, "dashPackage")["utcTiming"] = "NONE"
				delete(pkg(m, "dashPackage"), "utcTimingUri")
			},
		},
		{
			name: "MSS package member", kind: "mss",
			in:   mediapackage.UpdateOriginEndpointInput{MssPackage: &types.MssPackage{ManifestWindowSeconds: aws.Int32(60)}},
			want: func(m map[string]any) { pkg(m, "mssPackage")["manifestWindowSeconds"] = 60.0 },
		},
		{
			name: "MSS streamSelection {} back to the default", kind: "mss",
			in: mediapackage.UpdateOriginEndpointInput{MssPackage: &types.MssPackage{StreamSelection: &types.StreamSelection{}}},
			want: func(m map[string]any) {
				pkg(m, "mssPackage")["streamSelection"] = map[string]any{"streamOrder": "ORIGINAL"}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			mustCreateChannel(t, e.admin, "ch")
			if _, err := e.admin.CreateOriginEndpoint(ctx, fullEndpoints[tc.kind]("ep", "ch")); err != nil {
				t.Fatal(err)
			}
			want := describeMap(t, e, "ep")
			tc.want(want)
			in := tc.in
			in.Id = aws.String("ep")
			if _, err := e.admin.UpdateOriginEndpoint(ctx, &in); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, describeMap(t, e, "ep")); diff != "" {
				t.Errorf("describe after the update (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUpdateSwitchesPackage: giving a package of another type is the only
// way to change the type; the new package starts from the defaults and the
// top-level settings stay.
func TestUpdateSwitchesPackage(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	if _, err := e.admin.CreateOriginEndpoint(ctx, fullHLS("ep", "ch")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.CreateOriginEndpoint(ctx, minimal("ref", "ch", "mss")); err != nil {
		t.Fatal(err)
	}
	before := describeMap(t, e, "ep")
	if _, err := e.admin.UpdateOriginEndpoint(ctx, &mediapackage.UpdateOriginEndpointInput{
		Id: aws.String("ep"), MssPackage: &types.MssPackage{},
	}); err != nil {
		t.Fatal(err)
	}
	want := before
	delete(want, "hlsPackage")
	want["mssPackage"] = describeMap(t, e, "ref")["mssPackage"]
	want["url"] = testPublic + "/out/v1/ep/live.ism/Manifest"
	if diff := cmp.Diff(want, describeMap(t, e, "ep")); diff != "" {
		t.Errorf("describe after switching to MSS (-want +got):\n%s", diff)
	}
}

// TestUpdateRefusals: the merged result is validated as a whole; a refused
// update changes nothing.
func TestUpdateRefusals(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	if _, err := e.admin.CreateOriginEndpoint(ctx, fullHLS("ep", "ch")); err != nil {
		t.Fatal(err)
	}
	before := describeMap(t, e, "ep")
	for _, tc := range []struct {
		name string
		in   mediapackage.UpdateOriginEndpointInput
		msg  string
	}{
		{"two packages", mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{}, DashPackage: &types.DashPackage{}},
			"exactly one of hlsPackage, cmafPackage, dashPackage and mssPackage may be set, got dashPackage and hlsPackage"},
		{"stored DATERANGE needs the PDT interval", mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{ProgramDateTimeIntervalSeconds: aws.Int32(0)}},
			"hlsPackage.adMarkers: DATERANGE needs programDateTimeIntervalSeconds greater than 0"},
		{"stored time delay above the new startover window", mediapackage.UpdateOriginEndpointInput{StartoverWindowSeconds: aws.Int32(20)},
			"timeDelaySeconds: must be less than startoverWindowSeconds (20), got 30"},
		{"stored window below the new segment duration", mediapackage.UpdateOriginEndpointInput{HlsPackage: &types.HlsPackage{PlaylistWindowSeconds: aws.Int32(3)}},
			"hlsPackage.playlistWindowSeconds: must be at least the segment duration (4), got 3"},
		{"half an authorization", mediapackage.UpdateOriginEndpointInput{Authorization: &types.Authorization{CdnIdentifierSecret: aws.String(""), SecretsRoleArn: aws.String("arn:aws:iam::1:role/r")}},
			"authorization.cdnIdentifierSecret: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Id = aws.String("ep")
			_, err := e.admin.UpdateOriginEndpoint(ctx, &in)
			var ue *types.UnprocessableEntityException
			if !errors.As(err, &ue) || !strings.Contains(ue.ErrorMessage(), tc.msg) {
				t.Fatalf("got %v, want UnprocessableEntityException containing %q", err, tc.msg)
			}
		})
	}
	if diff := cmp.Diff(before, describeMap(t, e, "ep")); diff != "" {
		t.Errorf("refused updates changed the endpoint (-before +after):\n%s", diff)
	}
}

// TestUpdateChannelDescriptionOnly is `aws mediapackage update-channel
// --id X --description Y`: only the description changes; ingest
// credentials, access logs and tags stay. Without a description nothing
// changes.
func TestUpdateChannelDescriptionOnly(t *testing.T) {
	e := newEnv(t)
	if _, err := e.admin.CreateChannel(ctx, &mediapackage.CreateChannelInput{
		Id: aws.String("ch"), Description: aws.String("old"), Tags: map[string]string{"team": "news"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.ConfigureLogs(ctx, &mediapackage.ConfigureLogsInput{Id: aws.String("ch"), EgressAccessLogs: &types.EgressAccessLogs{}}); err != nil {
		t.Fatal(err)
	}
	describe := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(e.do(t, "GET", "/channels/ch", "").body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	want := describe()
	if _, err := e.admin.UpdateChannel(ctx, &mediapackage.UpdateChannelInput{Id: aws.String("ch"), Description: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	want["description"] = "new"
	if diff := cmp.Diff(want, describe()); diff != "" {
		t.Errorf("describe after a description-only update (-want +got):\n%s", diff)
	}
	if _, err := e.admin.UpdateChannel(ctx, &mediapackage.UpdateChannelInput{Id: aws.String("ch")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, describe()); diff != "" {
		t.Errorf("describe after an empty update (-want +got):\n%s", diff)
	}
}

// TestUpdateRawJSON: what a JSON client (not an SDK) may send: {} removes
// authorization and encryption, null is the same as absent.
func TestUpdateRawJSON(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	if _, err := e.admin.CreateOriginEndpoint(ctx, fullHLS("ep", "ch")); err != nil {
		t.Fatal(err)
	}
	want := describeMap(t, e, "ep")
	if r := e.do(t, "PUT", "/origin_endpoints/ep", `{"description":null,"whitelist":null,"hlsPackage":null}`); r.status != 200 {
		t.Fatalf("update with nulls: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(want, describeMap(t, e, "ep")); diff != "" {
		t.Errorf("nulls changed the endpoint (-want +got):\n%s", diff)
	}
	if r := e.do(t, "PUT", "/origin_endpoints/ep", `{"authorization":{},"hlsPackage":{"encryption":{},"streamSelection":{}}}`); r.status != 200 {
		t.Fatalf("update with empty objects: %d %s", r.status, r.body)
	}
	delete(want, "authorization")
	delete(pkg(want, "hlsPackage"), "encryption")
	pkg(want, "hlsPackage")["streamSelection"] = map[string]any{"streamOrder": "ORIGINAL"}
	if diff := cmp.Diff(want, describeMap(t, e, "ep")); diff != "" {
		t.Errorf("empty objects (-want +got):\n%s", diff)
	}
}
