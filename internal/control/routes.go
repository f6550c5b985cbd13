package control

import (
	"net/http"
	"strings"
)

// Register adds every control-plane route to mux: the 19 operations of
// the classic MediaPackage API plus OPTIONS (CORS preflight) and JSON
// 404/405 answers under the API's paths.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("POST /channels", a.op("CreateChannel", true, a.createChannel))
	mux.Handle("GET /channels", a.op("ListChannels", false, a.listChannels))
	mux.Handle("GET /channels/{id}", a.op("DescribeChannel", false, a.describeChannel))
	mux.Handle("PUT /channels/{id}", a.op("UpdateChannel", true, a.updateChannel))
	mux.Handle("DELETE /channels/{id}", a.op("DeleteChannel", true, a.deleteChannel))
	mux.Handle("PUT /channels/{id}/configure_logs", a.op("ConfigureLogs", true, a.configureLogs))
	mux.Handle("PUT /channels/{id}/credentials", a.op("RotateChannelCredentials", true, a.rotateChannelCredentials))
	mux.Handle("PUT /channels/{id}/ingest_endpoints/{ingest_endpoint_id}/credentials", a.op("RotateIngestEndpointCredentials", true, a.rotateIngestEndpointCredentials))

	mux.Handle("POST /origin_endpoints", a.op("CreateOriginEndpoint", true, a.createEndpoint))
	mux.Handle("GET /origin_endpoints", a.op("ListOriginEndpoints", false, a.listEndpoints))
	mux.Handle("GET /origin_endpoints/{id}", a.op("DescribeOriginEndpoint", false, a.describeEndpoint))
	mux.Handle("PUT /origin_endpoints/{id}", a.op("UpdateOriginEndpoint", true, a.updateEndpoint))
	mux.Handle("DELETE /origin_endpoints/{id}", a.op("DeleteOriginEndpoint", true, a.deleteEndpoint))

	mux.Handle("POST /harvest_jobs", a.op("CreateHarvestJob", true, a.createHarvestJob))
	mux.Handle("GET /harvest_jobs", a.op("ListHarvestJobs", false, a.listHarvestJobs))
	mux.Handle("GET /harvest_jobs/{id}", a.op("DescribeHarvestJob", false, a.describeHarvestJob))

	// The ARN is one URL-escaped segment as the SDKs send it; {arn...}
	// also takes it unescaped, slashes and all.
	mux.Handle("GET /tags/{arn...}", a.op("ListTagsForResource", false, a.listTags))
	mux.Handle("POST /tags/{arn...}", a.op("TagResource", true, a.tagResource))
	mux.Handle("DELETE /tags/{arn...}", a.op("UntagResource", true, a.untagResource))

	for _, p := range []string{"/channels", "/channels/", "/origin_endpoints", "/origin_endpoints/", "/harvest_jobs", "/harvest_jobs/", "/tags/"} {
		mux.HandleFunc(p, a.unknownPath)
	}
}

// allowedMethods lists the methods of the operations at path, "" when no
// operation lives there.
func allowedMethods(path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) == 1 && (seg[0] == "channels" || seg[0] == "origin_endpoints" || seg[0] == "harvest_jobs"):
		return "GET, POST"
	case len(seg) == 2 && (seg[0] == "channels" || seg[0] == "origin_endpoints"):
		return "GET, PUT, DELETE"
	case len(seg) == 2 && seg[0] == "harvest_jobs":
		return "GET"
	case len(seg) == 3 && seg[0] == "channels" && (seg[2] == "credentials" || seg[2] == "configure_logs"),
		len(seg) == 5 && seg[0] == "channels" && seg[2] == "ingest_endpoints" && seg[4] == "credentials":
		return "PUT"
	case len(seg) >= 2 && seg[0] == "tags":
		return "GET, POST, DELETE"
	}
	return ""
}
