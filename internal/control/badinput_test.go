package control

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
)

type badInput struct {
	name         string
	method, path string
	body         string
	status       int
	errType      string
	msg          string // a substring of the message
}

const hlsEP = `"id":"new","channelId":"ch"`

// badInputs are requests with one mistake each. Every one must be refused
// with the right status and a message naming the field and the rule, and
// change nothing.
func badInputs() []badInput {
	past := time.Now().UTC().Add(-time.Hour)
	ts := func(d time.Duration) string { return past.Add(d).Format(time.RFC3339) }
	s3 := `"s3Destination":{"bucketName":"vod","manifestKey":"a/index.m3u8","roleArn":"arn:aws:iam::1:role/r"}`
	job := func(id, ep, start, end string) string {
		return fmt.Sprintf(`{"id":%q,"originEndpointId":%q,"startTime":%q,"endTime":%q,%s}`, id, ep, start, end, s3)
	}
	arn := url.PathEscape("arn:aws:mediapackage:eu-west-1:123456789012:channels/ch")
	u422 := func(name, method, path, body, msg string) badInput {
		return badInput{name, method, path, body, 422, "UnprocessableEntityException", msg}
	}
	return []badInput{
		// Decoding.
		u422("malformed JSON", "POST", "/channels", `{"id":`, "request body is not valid JSON"),
		u422("not an object", "POST", "/channels", `["ch"]`, "request body must be a JSON object, got an array"),
		u422("trailing data", "POST", "/channels", `{"id":"x"} {}`, "data after the JSON object"),
		u422("wrong type", "POST", "/channels", `{"id":5}`, "id: must be a string, got the number 5"),
		u422("unknown field", "POST", "/channels", `{"id":"x","Description":"d"}`, "Description: unknown field"),
		u422("unknown nested field", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"segmentDuration":6}}`, "hlsPackage.segmentDuration: unknown field"),
		u422("float for integer", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"segmentDurationSeconds":6.5}}`, "hlsPackage.segmentDurationSeconds: must be an integer, got 6.5"),
		u422("integer overflow", "POST", "/origin_endpoints", `{`+hlsEP+`,"startoverWindowSeconds":99999999999,"hlsPackage":{}}`, "startoverWindowSeconds: must fit in 32 bits"),
		u422("string for bool", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"includeIframeOnlyStream":"yes"}}`, "hlsPackage.includeIframeOnlyStream: must be true or false"),
		u422("null in list", "POST", "/origin_endpoints", `{`+hlsEP+`,"whitelist":[null],"hlsPackage":{}}`, "whitelist[0]: must not be null"),
		u422("duplicate member", "POST", "/channels", `{"id":"a","id":"b"}`, "id: given more than once in one object"),
		u422("duplicate member, escaped", "POST", "/channels", `{"id":"a","\u0069d":"b"}`, "id: given more than once in one object"),
		u422("duplicate tag key", "POST", "/channels", `{"id":"x","tags":{"a":"1","a":"2"}}`, "tags.a: given more than once in one object"),
		u422("duplicate nested member", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"segmentDurationSeconds":6,"segmentDurationSeconds":2}}`, "hlsPackage.segmentDurationSeconds: given more than once in one object"),
		u422("duplicate package", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{},"hlsPackage":{"segmentDurationSeconds":2}}`, "hlsPackage: given more than once in one object"),
		u422("duplicate member in a list element", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{"hlsManifests":[{"id":"a"},{"id":"b","manifestName":"x","manifestName":"y"}]}}`, "cmafPackage.hlsManifests[1].manifestName: given more than once in one object"),
		u422("duplicate member in an update", "PUT", "/origin_endpoints/ep", `{"manifestName":"a","manifestName":"b"}`, "manifestName: given more than once in one object"),
		u422("duplicate member in tags", "POST", "/tags/"+arn, `{"tags":{"k":"1"},"tags":{"k":"2"}}`, "tags: given more than once in one object"),
		{"body too large", "POST", "/channels", `{"id":"x","description":"` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, "RequestEntityTooLargeException", "exceeds 1048576 bytes"},

		// Ids.
		u422("missing id", "POST", "/channels", `{}`, "id: required"),
		u422("bad id", "POST", "/channels", `{"id":"a/b"}`, `id: must be 1 to 128 characters of A-Z, a-z, 0-9, _ and -, got "a/b"`),
		u422("long id", "POST", "/channels", `{"id":"`+strings.Repeat("x", 129)+`"}`, "id: must be 1 to 128 characters"),
		u422("duplicate channel", "POST", "/channels", `{"id":"ch"}`, `id: a channel with id "ch" already exists`),
		u422("duplicate endpoint", "POST", "/origin_endpoints", `{"id":"ep","channelId":"ch","hlsPackage":{}}`, `id: an origin endpoint with id "ep" already exists`),
		u422("bad path id", "GET", "/channels/a.b", "", `channel id "a.b": must be 1 to 128 characters`),
		u422("long description", "POST", "/channels", `{"id":"x","description":"`+strings.Repeat("é", 1025)+`"}`, "description: must be at most 1024 characters, got 1025"),
		u422("reserved tag", "POST", "/channels", `{"id":"x","tags":{"aws:owner":"me"}}`, "tag keys starting with aws: are reserved"),

		// Unknown resources.
		{"unknown channel", "GET", "/channels/nope", "", 404, "NotFoundException", `channel "nope" not found`},
		{"unknown endpoint", "DELETE", "/origin_endpoints/nope", "", 404, "NotFoundException", `origin endpoint "nope" not found`},
		{"endpoint of unknown channel", "POST", "/origin_endpoints", `{"id":"new","channelId":"nope","hlsPackage":{}}`, 404, "NotFoundException", `channelId: channel "nope" not found`},
		{"unknown ingest endpoint", "PUT", "/channels/ch/ingest_endpoints/abc/credentials", "", 404, "NotFoundException", `channel "ch" has no ingest endpoint "abc"`},
		u422("delete channel with endpoints", "DELETE", "/channels/ch", "", `channel "ch" still has origin endpoints (ep, ep-nostart); delete its endpoints first`),

		// Endpoint rules.
		u422("no package", "POST", "/origin_endpoints", `{`+hlsEP+`}`, "exactly one of hlsPackage, cmafPackage, dashPackage and mssPackage is required, got none"),
		u422("two packages", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{},"dashPackage":{}}`, "may be set, got dashPackage and hlsPackage"),
		u422("segment duration 0", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"segmentDurationSeconds":0}}`, "hlsPackage.segmentDurationSeconds: must be between 1 and 30, got 0"),
		u422("window below segment", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"segmentDurationSeconds":10,"playlistWindowSeconds":5}}`, "hlsPackage.playlistWindowSeconds: must be at least the segment duration (10), got 5"),
		u422("unknown enum", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"adMarkers":"SCTE35"}}`, `hlsPackage.adMarkers: must be one of NONE, SCTE35_ENHANCED, PASSTHROUGH, DATERANGE, got "SCTE35"`),
		u422("v2 enum spelling", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"utcTiming":"HTTP_HEAD"}}`, `dashPackage.utcTiming: must be one of NONE, HTTP-HEAD, HTTP-ISO, HTTP-XSDATE, got "HTTP_HEAD"`),
		u422("DATERANGE without PDT", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"adMarkers":"DATERANGE"}}`, "hlsPackage.adMarkers: DATERANGE needs programDateTimeIntervalSeconds greater than 0"),
		u422("duplicate ad trigger", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"adTriggers":["BREAK","BREAK"]}}`, "hlsPackage.adTriggers[1]: BREAK is listed twice"),
		u422("time delay too short", "POST", "/origin_endpoints", `{`+hlsEP+`,"timeDelaySeconds":3,"hlsPackage":{}}`, "timeDelaySeconds: must be between 5 and 86400, got 3"),
		u422("time delay over startover", "POST", "/origin_endpoints", `{`+hlsEP+`,"timeDelaySeconds":600,"startoverWindowSeconds":600,"hlsPackage":{}}`, "timeDelaySeconds: must be less than startoverWindowSeconds (600), got 600"),
		u422("startover too long", "POST", "/origin_endpoints", `{`+hlsEP+`,"startoverWindowSeconds":1209601,"hlsPackage":{}}`, "startoverWindowSeconds: must be between 0 and 1209600, got 1209601"),
		u422("whitelist not CIDR", "POST", "/origin_endpoints", `{`+hlsEP+`,"whitelist":["10.0.0.0/8","10.0.0.1"],"hlsPackage":{}}`, `whitelist[1]: must be a CIDR block such as 192.0.2.0/24 or 2001:db8::/32, got "10.0.0.1"`),
		u422("bad origination", "POST", "/origin_endpoints", `{`+hlsEP+`,"origination":"allow","hlsPackage":{}}`, `origination: must be one of ALLOW, DENY, got "allow"`),
		u422("bad manifest name", "POST", "/origin_endpoints", `{`+hlsEP+`,"manifestName":"../x","hlsPackage":{}}`, `manifestName: must be 1 to 128 characters`),
		u422("unknown CDN secret", "POST", "/origin_endpoints", `{`+hlsEP+`,"authorization":{"cdnIdentifierSecret":"arn:aws:secretsmanager:x","secretsRoleArn":"r"},"hlsPackage":{}}`, `authorization.cdnIdentifierSecret: no secret "arn:aws:secretsmanager:x" under egress.cdnSecrets`),
		u422("authorization incomplete", "POST", "/origin_endpoints", `{`+hlsEP+`,"authorization":{"cdnIdentifierSecret":"`+testCDNARN+`"},"hlsPackage":{}}`, "authorization.secretsRoleArn: required"),
		u422("CMAF without manifests", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{}}`, "cmafPackage.hlsManifests: at least one HLS manifest is required"),
		u422("CMAF duplicate manifest ids", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{"hlsManifests":[{"id":"a"},{"id":"a"}]}}`, `cmafPackage.hlsManifests[1].id: "a" is used by another manifest`),
		u422("CMAF manifest bad id", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{"hlsManifests":[{"id":"a b"}]}}`, `cmafPackage.hlsManifests[0].id: must be 1 to 128 characters`),
		u422("encryption without SPEKE", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"encryption":{}}}`, "hlsPackage.encryption.spekeKeyProvider: required"),
		u422("too many DRM systems", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"encryption":{"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+fairPlay+`","`+widevine+`"]}}}}`, "hlsPackage.encryption.spekeKeyProvider.systemIds: at most 1 DRM system ids for this package type, got 2"),
		u422("bad system id", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"encryption":{"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["widevine"]}}}}`, `dashPackage.encryption.spekeKeyProvider.systemIds[0]: must be a UUID`),
		u422("SPEKE 2.0 with rotation", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"encryption":{"keyRotationIntervalSeconds":60,"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+widevine+`"],"encryptionContractConfiguration":{"presetSpeke20Audio":"SHARED","presetSpeke20Video":"SHARED"}}}}}`, "dashPackage.encryption.keyRotationIntervalSeconds: must be 0 when spekeKeyProvider.encryptionContractConfiguration is set"),
		u422("SPEKE 2.0 on HLS", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"encryption":{"keyRotationIntervalSeconds":0,"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+fairPlay+`"],"encryptionContractConfiguration":{"presetSpeke20Audio":"SHARED","presetSpeke20Video":"SHARED"}}}}}`, "SPEKE 2.0 presets are supported on cmafPackage and dashPackage endpoints only"),
		u422("SHARED unpaired", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{"hlsManifests":[{"id":"m"}],"encryption":{"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+widevine+`"],"encryptionContractConfiguration":{"presetSpeke20Audio":"SHARED","presetSpeke20Video":"PRESET-VIDEO-1"}}}}}`, "SHARED must be used for both"),
		u422("v2 preset spelling", "POST", "/origin_endpoints", `{`+hlsEP+`,"cmafPackage":{"hlsManifests":[{"id":"m"}],"encryption":{"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+widevine+`"],"encryptionContractConfiguration":{"presetSpeke20Audio":"PRESET_AUDIO_1","presetSpeke20Video":"PRESET-VIDEO-1"}}}}}`, `presetSpeke20Audio: must be one of PRESET-AUDIO-1`),
		u422("bad constant IV", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"encryption":{"constantInitializationVector":"abc","spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+fairPlay+`"]}}}}`, "hlsPackage.encryption.constantInitializationVector: must be 32 hexadecimal characters"),
		u422("SPEKE URL not http", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"encryption":{"spekeKeyProvider":{"url":"ftp://k","resourceId":"r","roleArn":"a","systemIds":["`+fairPlay+`"]}}}}`, "hlsPackage.encryption.spekeKeyProvider.url: must be an absolute http or https URL"),
		u422("MSS not PlayReady", "POST", "/origin_endpoints", `{`+hlsEP+`,"mssPackage":{"encryption":{"spekeKeyProvider":{"url":"https://k","resourceId":"r","roleArn":"a","systemIds":["`+widevine+`"]}}}}`, "Smooth Streaming carries PlayReady only"),
		u422("utcTimingUri with utcTiming NONE", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"utcTiming":"NONE","utcTimingUri":"https://t"}}`, "dashPackage.utcTimingUri: set it only with utcTiming"),
		u422("hybridcast with periods", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"profile":"HYBRIDCAST","periodTriggers":["ADS"]}}`, "the HYBRIDCAST profile cannot be combined with period triggers"),
		u422("duration template with periods", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"segmentTemplateFormat":"NUMBER_WITH_DURATION","periodTriggers":["ADS"]}}`, "NUMBER_WITH_DURATION segment templates cannot be combined with multi-period"),
		u422("presentation delay beyond window", "POST", "/origin_endpoints", `{`+hlsEP+`,"dashPackage":{"manifestWindowSeconds":20,"suggestedPresentationDelaySeconds":25}}`, "dashPackage.suggestedPresentationDelaySeconds: must be less than manifestWindowSeconds (20)"),
		u422("min above max bitrate", "POST", "/origin_endpoints", `{`+hlsEP+`,"hlsPackage":{"streamSelection":{"minVideoBitsPerSecond":5000000,"maxVideoBitsPerSecond":1000000}}}`, "hlsPackage.streamSelection: minVideoBitsPerSecond (5000000) must not exceed maxVideoBitsPerSecond (1000000)"),
		u422("several problems at once", "POST", "/origin_endpoints", `{"id":"new","channelId":"ch","origination":"MAYBE","hlsPackage":{"segmentDurationSeconds":99}}`, `origination: must be one of ALLOW, DENY, got "MAYBE"; hlsPackage.segmentDurationSeconds: must be between 1 and 30, got 99`),
		u422("update changes channel", "PUT", "/origin_endpoints/ep", `{"channelId":"other","hlsPackage":{}}`, "channelId: cannot be changed after the endpoint is created"),
		u422("update with tags", "PUT", "/origin_endpoints/ep", `{"tags":{"a":"b"},"hlsPackage":{}}`, "tags: cannot be changed by UpdateOriginEndpoint"),
		u422("update invalid", "PUT", "/origin_endpoints/ep", `{"hlsPackage":{"playlistType":"LIVE"}}`, `hlsPackage.playlistType: must be one of NONE, EVENT, VOD, got "LIVE"`),
		u422("bad log group", "PUT", "/channels/ch/configure_logs", `{"egressAccessLogs":{"logGroupName":"no spaces please"}}`, "egressAccessLogs.logGroupName: must be 1 to 512 characters"),

		// Harvest jobs.
		u422("harvest end before start", "POST", "/harvest_jobs", job("j", "ep", ts(10*time.Minute), ts(0)), "endTime: must be after startTime"),
		u422("harvest end in future", "POST", "/harvest_jobs", job("j", "ep", ts(0), ts(2*time.Hour)), "endTime: must not be in the future"),
		u422("harvest too long", "POST", "/harvest_jobs", job("j", "ep", ts(-25*time.Hour), ts(0)), "endTime: a harvest spans at most 24h0m0s"),
		u422("harvest bad time", "POST", "/harvest_jobs", job("j", "ep", "yesterday", ts(0)), `startTime: must be an ISO 8601 date-time`),
		u422("harvest before startover window", "POST", "/harvest_jobs", job("j", "ep", ts(-2*time.Hour), ts(-90*time.Minute)), "is older than origin endpoint \"ep\" keeps (startoverWindowSeconds 7200"),
		u422("harvest without startover", "POST", "/harvest_jobs", job("j", "ep-nostart", ts(0), ts(10*time.Minute)), `origin endpoint "ep-nostart" has no startoverWindowSeconds`),
		u422("harvest missing destination", "POST", "/harvest_jobs", `{"id":"j","originEndpointId":"ep","startTime":"`+ts(0)+`","endTime":"`+ts(time.Minute)+`"}`, "s3Destination: required"),
		u422("harvest bad bucket", "POST", "/harvest_jobs", strings.Replace(job("j", "ep", ts(0), ts(time.Minute)), `"vod"`, `"Bad_Bucket"`, 1), "s3Destination.bucketName: must be an S3 bucket name"),
		u422("harvest duplicate", "POST", "/harvest_jobs", job("job", "ep", ts(0), ts(time.Minute)), `id: a harvest job with id "job" already exists`),
		{"harvest unknown endpoint", "POST", "/harvest_jobs", job("j", "nope", ts(0), ts(time.Minute)), 404, "NotFoundException", `originEndpointId: origin endpoint "nope" not found`},

		// Lists.
		u422("maxResults 0", "GET", "/channels?maxResults=0", "", `maxResults: must be between 1 and 1000, got "0"`),
		u422("maxResults 1001", "GET", "/origin_endpoints?maxResults=1001", "", `maxResults: must be between 1 and 1000, got "1001"`),
		u422("maxResults not a number", "GET", "/harvest_jobs?maxResults=ten", "", `maxResults: must be between 1 and 1000, got "ten"`),
		u422("forged nextToken", "GET", "/channels?nextToken=abc", "", "nextToken: not a token of this listing"),
		u422("token of another list", "GET", "/origin_endpoints?nextToken="+nextToken("channels", "", "ch"), "", "nextToken: not a token of this listing"),
		u422("token with another filter", "GET", "/origin_endpoints?channelId=x&nextToken="+nextToken("origin_endpoints", "ch", "ep"), "", "nextToken: not a token of this listing"),
		u422("bad status filter", "GET", "/harvest_jobs?includeStatus=DONE", "", `includeStatus: must be one of IN_PROGRESS, SUCCEEDED, FAILED, got "DONE"`),

		// Tags.
		u422("not an ARN", "GET", "/tags/channels%2Fch", "", "resource-arn: must be an ARN of the form"),
		{"ARN of another account", "GET", "/tags/" + url.PathEscape("arn:aws:mediapackage:eu-west-1:999999999999:channels/ch"), "", 404, "NotFoundException", "this server's ARNs start with arn:aws:mediapackage:eu-west-1:123456789012:"},
		u422("harvest job ARN", "POST", "/tags/"+url.PathEscape("arn:aws:mediapackage:eu-west-1:123456789012:harvest_jobs/job"), `{"tags":{"a":"b"}}`, "harvest jobs cannot be tagged"),
		u422("tag without tags", "POST", "/tags/"+arn, `{}`, "tags: required"),
		u422("untag without keys", "DELETE", "/tags/"+arn, "", "tagKeys: at least one tagKeys query parameter is required"),
		u422("too many tags", "POST", "/tags/"+arn, `{"tags":{`+manyTags(51)+`}}`, "tags: at most 50 tags, got 51"),
	}
}

func manyTags(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"k%d":"v"`, i))
	}
	return strings.Join(parts, ",")
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	// Fixtures: channel ch with endpoints ep (startover 2 h) and ep-nostart,
	// a harvest job, and a spare channel.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/channels", `{"id":"ch"}`},
		{"POST", "/channels", `{"id":"other"}`},
		{"POST", "/origin_endpoints", `{"id":"ep","channelId":"ch","startoverWindowSeconds":7200,"hlsPackage":{}}`},
		{"POST", "/origin_endpoints", `{"id":"ep-nostart","channelId":"ch","hlsPackage":{}}`},
		{"POST", "/harvest_jobs", fmt.Sprintf(`{"id":"job","originEndpointId":"ep","startTime":%q,"endTime":%q,"s3Destination":{"bucketName":"vod","manifestKey":"k","roleArn":"r"}}`,
			time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))},
	} {
		if resp := e.do(t, r.method, r.path, r.body); resp.status != 200 {
			t.Fatalf("fixture %s %s: %d %s", r.method, r.path, resp.status, resp.body)
		}
	}
	snapshot := func() string {
		var b strings.Builder
		for _, p := range []string{"/channels", "/origin_endpoints", "/harvest_jobs"} {
			b.Write(e.do(t, "GET", p, "").body)
		}
		return b.String()
	}
	before := snapshot()
	version := e.store.Version()

	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.body)
			var body struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("error body %q is not {\"message\": ...}: %v", r.body, err)
			}
			if r.status != tc.status || r.header.Get("x-amzn-ErrorType") != tc.errType {
				t.Errorf("got %d %s, want %d %s (message %q)", r.status, r.header.Get("x-amzn-ErrorType"), tc.status, tc.errType, body.Message)
			}
			if !strings.Contains(body.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", body.Message, tc.msg)
			}
		})
	}
	// Nothing was half-applied.
	if e.store.Version() != version {
		t.Errorf("refused requests changed the store (version %d → %d)", version, e.store.Version())
	}
	if after := snapshot(); after != before {
		t.Errorf("refused requests changed what the API lists")
	}
	// IPv6 allow lists are accepted (MediaPackage takes IPv4 only).
	if r := e.do(t, "POST", "/origin_endpoints", `{"id":"v6","channelId":"ch","whitelist":["2001:db8::/48","::1/128"],"hlsPackage":{}}`); r.status != 200 {
		t.Errorf("IPv6 whitelist: %d %s", r.status, r.body)
	}
}

// endpointBodies seed FuzzEndpointBody: every endpoint body of the table
// plus the full configurations.
func endpointBodies() []string {
	var out []string
	for _, tc := range badInputs() {
		if tc.path == "/origin_endpoints" && tc.method == "POST" {
			out = append(out, tc.body)
		}
	}
	return append(out,
		`{"id":"e","channelId":"c","cmafPackage":{"hlsManifests":[{"id":"m","adMarkers":"DATERANGE","programDateTimeIntervalSeconds":1}]}}`,
		`{"id":"e","channelId":"c","dashPackage":{"utcTiming":"HTTP-XSDATE","periodTriggers":[]}}`,
		`{"id":"e","channelId":"c","mssPackage":{"manifestWindowSeconds":2,"segmentDurationSeconds":2}}`,
		`{"id":"e","channelId":"c","hlsPackage":{"adTriggers":[]},"whitelist":["::/0"]}`,
	)
}

// FuzzEndpointBody: decoding and validating an endpoint body never
// panics; refusals are 422 with a message; what is accepted has exactly
// one package and a URL, and sending its settings back as an update
// reproduces it exactly (defaults are idempotent), as does an empty
// update (omitted members keep their values).
func FuzzEndpointBody(f *testing.F) {
	for _, b := range endpointBodies() {
		f.Add([]byte(b))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in createEndpointRequest
		err := DecodeStrict(body, &in)
		var ep *configstore.OriginEndpoint
		if err == nil {
			ep, err = e.api.newEndpoint(&in)
		}
		if err != nil {
			apiErr, internal := asAPIError(err, "")
			if internal || apiErr.Status != 422 || apiErr.Message == "" {
				t.Fatalf("refusal %v: want a 422 with a message", err)
			}
			return
		}
		n := 0
		for _, set := range []bool{ep.HLSPackage != nil, ep.CMAFPackage != nil, ep.DASHPackage != nil, ep.MSSPackage != nil} {
			if set {
				n++
			}
		}
		if n != 1 || ep.URL == "" || ep.ManifestName == "" || ep.Origination == "" {
			t.Fatalf("accepted an incomplete endpoint: %+v", ep)
		}
		// Round trip through the describe shape.
		desc, err := json.Marshal(ep)
		if err != nil {
			t.Fatal(err)
		}
		var settings map[string]any
		json.Unmarshal(desc, &settings)
		for _, k := range []string{"arn", "id", "channelId", "url", "createdAt", "tags"} {
			delete(settings, k)
		}
		if cmaf, ok := settings["cmafPackage"].(map[string]any); ok {
			for _, m := range cmaf["hlsManifests"].([]any) {
				delete(m.(map[string]any), "url")
			}
		}
		again, _ := json.Marshal(settings)
		var up updateEndpointRequest
		if err := DecodeStrict(again, &up); err != nil {
			t.Fatalf("describe output does not decode as an update: %v\n%s", err, again)
		}
		ep2 := *ep
		var fe fieldErrors
		e.api.applyEndpointSettings(&fe, &up.endpointSettings, &ep2)
		if err := fe.err(); err != nil {
			t.Fatalf("describe output does not validate as an update: %v\n%s", err, again)
		}
		got, _ := json.Marshal(&ep2)
		if string(got) != string(desc) {
			t.Fatalf("round trip changed the endpoint:\n%s\n%s", desc, got)
		}
		// Merged as UpdateOriginEndpoint merges, the describe output and
		// an empty update both leave the endpoint as it is.
		for _, body := range [][]byte{again, []byte(`{}`)} {
			var up updateEndpointRequest
			req, err := decodeStrictObject(body, &up)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := mergeEndpointUpdate(ep, req)
			if err != nil {
				t.Fatalf("merge %s: %v", body, err)
			}
			ep3 := *ep
			var fe fieldErrors
			e.api.applyEndpointSettings(&fe, merged, &ep3)
			if err := fe.err(); err != nil {
				t.Fatalf("update %s does not validate merged: %v", body, err)
			}
			if got, _ := json.Marshal(&ep3); string(got) != string(desc) {
				t.Fatalf("update %s changed the endpoint:\n%s\n%s", body, desc, got)
			}
		}
	})
}
