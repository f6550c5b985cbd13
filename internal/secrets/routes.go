package secrets

import "net/http"

// Register adds the API's one route to mux: POST / (exactly), where AWS
// JSON 1.1 sends every operation, told apart by X-Amz-Target.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("POST /{$}", a)
}
