package control

import (
	"fmt"
	"net/http"
	"strings"
)

// Register adds every control-plane route to mux: the 19 operations of
// the classic MediaPackage API, OPTIONS (CORS preflight), and the
// fallback for every path no other route takes.
//
// The fallback is registered at "/", so any path that reaches mux and
// matches no route — an unknown path, a known path with a method it does
// not have, a MediaPackage v2 path like /channelGroup/x — gets the API's
// JSON error shape ({"message": ...} with x-amzn-ErrorType) that the AWS
// SDKs parse, never net/http's plain-text "404 page not found". More
// specific routes registered on mux by other packages (operations, the
// demo page at "GET /{$}") still win; for their paths the fallback
// answers as net/http would (see opsPath). Register owns the pattern "/":
// other routes on mux must be more specific (a method, a longer path or
// {$}).
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

	// A collection with a trailing slash is the same collection: clients
	// that build URLs by joining (a base URL ending in "/") send it.
	mux.Handle("POST /channels/{$}", a.op("CreateChannel", true, a.createChannel))
	mux.Handle("GET /channels/{$}", a.op("ListChannels", false, a.listChannels))
	mux.Handle("POST /origin_endpoints/{$}", a.op("CreateOriginEndpoint", true, a.createEndpoint))
	mux.Handle("GET /origin_endpoints/{$}", a.op("ListOriginEndpoints", false, a.listEndpoints))
	mux.Handle("POST /harvest_jobs/{$}", a.op("CreateHarvestJob", true, a.createHarvestJob))
	mux.Handle("GET /harvest_jobs/{$}", a.op("ListHarvestJobs", false, a.listHarvestJobs))

	// The ARN is one URL-escaped segment as the SDKs send it; {arn...}
	// also takes it unescaped, slashes and all.
	mux.Handle("GET /tags/{arn...}", a.op("ListTagsForResource", false, a.listTags))
	mux.Handle("POST /tags/{arn...}", a.op("TagResource", true, a.tagResource))
	mux.Handle("DELETE /tags/{arn...}", a.op("UntagResource", true, a.untagResource))

	fallback := a.fallback(mux)
	// Without its own route, ServeMux would redirect /tags to /tags/ (the
	// root of the {arn...} subtree) before anything is authenticated.
	mux.Handle("/tags", fallback)
	mux.Handle("/", fallback)
}

// Unknown answers NotFoundException (JSON) for a path that is not in its
// clean form: the listener sends it the paths ServeMux would otherwise
// redirect before anything is authenticated ("//channels",
// "/channels/../tags"); no operation lives at them.
func (a *API) Unknown() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", NewUUID())
		setCORS(w.Header())
		a.noOperation(w, r, ": the path is not in its clean form")
	})
}

// noOperation answers NotFoundException (JSON) for r, at whose path no
// operation lives, and counts it; why, if not "", follows the path in the
// message. The caller has set the request id and CORS headers.
func (a *API) noOperation(w http.ResponseWriter, r *http.Request, why string) {
	a.writeError(w, notFound("no API operation at %s %s%s; see docs/api.md", r.Method, truncate(r.URL.Path, 200), why))
	a.metrics.observe("Unknown", http.StatusNotFound, 0)
}

// fallbackPatterns are the patterns fallback is registered under; a probe
// that lands on one of them found no route.
var fallbackPatterns = map[string]bool{"/": true, "/tags": true}

// fallback answers requests that match no route of mux: for opsPath paths
// as net/http would (plain text 405 with Allow, or 404); for every other
// path a CORS preflight for OPTIONS, else MethodNotAllowedException (405,
// with Allow) when the path has other methods, else NotFoundException
// (404), all as JSON. Nothing here is authenticated: the answer says only
// that no operation lives at the path, which the API's documentation says
// too.
func (a *API) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if opsPath(path) {
			if allowed := routedMethods(mux, r); allowed != "" {
				w.Header().Set("Allow", allowed)
				http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
				return
			}
			http.NotFound(w, r)
			return
		}
		w.Header().Set("x-amzn-RequestId", NewUUID())
		if r.Method == http.MethodOptions {
			corsPreflight(w)
			a.metrics.observe("CORSPreflight", http.StatusNoContent, 0)
			return
		}
		setCORS(w.Header())
		allowed := allowedMethods(path)
		if allowed == "" {
			// A route another package put behind Protect (an ingest
			// status view) is API-shaped too.
			allowed = routedMethods(mux, r)
		}
		if allowed != "" {
			w.Header().Set("Allow", allowed)
			a.writeError(w, &Error{Status: http.StatusMethodNotAllowed, Type: errMethodNotAllowed,
				Message: fmt.Sprintf("%s is not supported on %s; allowed: %s", r.Method, truncate(path, 200), allowed)})
			a.metrics.observe("Unknown", http.StatusMethodNotAllowed, 0)
			return
		}
		a.noOperation(w, r, "")
	})
}

// opsPath reports whether path belongs to the listener's non-API routes,
// which keep net/http's plain-text answers: operations (/metrics,
// /healthz, /readyz, /time; DESIGN.md §4) and the demo's page (/ exactly)
// and /demo/ files. Ingest (/in/v2/) and playback (/out/v1/) never reach
// the mux: internal/server's dispatch sends them to their handlers.
func opsPath(path string) bool {
	switch path {
	case "/", "/metrics", "/healthz", "/readyz", "/time":
		return true
	}
	return strings.HasPrefix(path, "/demo/")
}

// probeMethods are the methods routedMethods tries, in the order net/http
// lists them in Allow.
var probeMethods = []string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPost, http.MethodPut}

// routedMethods lists the methods other than r's that some route of mux
// other than the fallback takes at r's path, "" when none does.
func routedMethods(mux *http.ServeMux, r *http.Request) string {
	var allowed []string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, Host: r.Host, URL: r.URL, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" && !fallbackPatterns[pattern] {
			allowed = append(allowed, m)
		}
	}
	return strings.Join(allowed, ", ")
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
