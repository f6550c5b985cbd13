package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"boxcar/internal/configstore"
)

// packageMembers are the endpoint members that hold a package.
var packageMembers = []string{"hlsPackage", "cmafPackage", "dashPackage", "mssPackage"}

// clearedWhenEmpty are the object members an update removes when it sends
// them empty (see isEmpty).
var clearedWhenEmpty = map[string]bool{"authorization": true, "encryption": true, "streamSelection": true}

// isEmpty reports whether a JSON value carries nothing: null, "", [], or an
// object whose members are all empty. Numbers and booleans are values.
// The SDKs and the CLI check required members before sending, so an
// authorization or encryption they send to be removed has its required
// strings present but empty ({"cdnIdentifierSecret": "", "secretsRoleArn":
// ""}); a JSON client may send {}.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, m := range x {
			if !isEmpty(m) {
				return false
			}
		}
		return true
	}
	return false
}

// mergeEndpointUpdate returns the settings an UpdateOriginEndpoint request
// (req, the body as decoded by decodeStrictObject) leaves ep with.
//
// UpdateOriginEndpoint merges: a member the request leaves out keeps its
// value. The AWS CLI and the SDKs send only the members a user names
// (update-origin-endpoint --id x --description y sends {"description":
// "y"}), so replacing every setting would reset the rest to defaults —
// the manifest name back to index, moving the playback URL under live
// players, and the allow list, CDN authorization, startover window and
// time delay gone. MediaPackage's reference does not say how an update
// treats omitted members; keeping them is what keeps players safe.
//
// The rules, all applied to the describe shape of the stored endpoint:
//
//   - A top-level member given replaces the stored one: description,
//     manifestName, origination, startoverWindowSeconds (0 turns startover
//     off), timeDelaySeconds (0: off), whitelist ([] removes the allow
//     list) and authorization (sent empty, it removes CDN authorization;
//     see isEmpty).
//   - A package of the endpoint's type is merged one level deep: each
//     member given replaces the stored member, omitted members stay. An
//     object member (encryption, streamSelection) given replaces the whole
//     object; sent empty it is removed (no encryption; streamSelection
//     back to ORIGINAL without bounds). A CMAF package's hlsManifests lists the
//     manifests the endpoint keeps, in order: one whose id the endpoint
//     already has is merged the same way (its manifestName, hence its URL,
//     stays unless given), a new id starts from the defaults. A DASH
//     package whose utcTiming becomes NONE drops the stored utcTimingUri
//     unless one is given (which is then refused as meaningless).
//   - A package of another type switches the endpoint to it: the old
//     package is dropped and the new one starts from the defaults. The
//     type never changes otherwise.
//   - null is the same as absent, as everywhere in the API.
//
// The merged settings are then validated and applied like a create, so
// every cross-member rule (time delay below the startover window, DATERANGE
// with a PDT interval, …) holds for the result.
func mergeEndpointUpdate(ep *configstore.OriginEndpoint, req map[string]any) (*endpointSettings, error) {
	var given []string
	for _, p := range packageMembers {
		if req[p] != nil {
			given = append(given, p)
		}
	}
	if len(given) > 1 {
		slices.Sort(given)
		return nil, unprocessable("exactly one of hlsPackage, cmafPackage, dashPackage and mssPackage may be set, got %s", strings.Join(given, " and "))
	}
	cur, err := storedSettings(ep)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(req) {
		v := req[name]
		switch {
		case v == nil:
			// null is the same as absent.
		case name == "id" || name == "channelId" || name == "tags":
			// Refused before the merge; never settings.
		case slices.Contains(packageMembers, name):
			stored, same := cur[name].(map[string]any)
			if !same {
				// Switching type: the old package goes, the new one starts
				// from the defaults.
				for _, p := range packageMembers {
					delete(cur, p)
				}
				cur[name] = v
				continue
			}
			cur[name] = mergePackage(name, stored, v.(map[string]any))
		default:
			setMember(cur, name, v)
		}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, fmt.Errorf("control: encode merged endpoint settings: %w", err)
	}
	var out endpointSettings
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		// Both halves were checked (the request by DecodeStrict, the
		// stored endpoint by its own create or update): this is a bug.
		return nil, fmt.Errorf("control: decode merged endpoint settings: %w", err)
	}
	return &out, nil
}

// storedSettings is ep's describe shape without its identity and outputs:
// exactly the members an update request may carry.
func storedSettings(ep *configstore.OriginEndpoint) (map[string]any, error) {
	b, err := json.Marshal(ep)
	if err != nil {
		return nil, fmt.Errorf("control: encode stored endpoint %q: %w", ep.ID, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cur map[string]any
	if err := dec.Decode(&cur); err != nil {
		return nil, fmt.Errorf("control: decode stored endpoint %q: %w", ep.ID, err)
	}
	for _, k := range []string{"arn", "id", "channelId", "url", "createdAt", "tags"} {
		delete(cur, k)
	}
	if cmaf, ok := cur["cmafPackage"].(map[string]any); ok {
		if ms, ok := cmaf["hlsManifests"].([]any); ok {
			for _, m := range ms {
				if m, ok := m.(map[string]any); ok {
					delete(m, "url")
				}
			}
		}
	}
	return cur, nil
}

// setMember lays one given member over dst: an empty object removes a
// member listed in clearedWhenEmpty, any other value replaces.
func setMember(dst map[string]any, name string, v any) {
	if _, obj := v.(map[string]any); obj && clearedWhenEmpty[name] && isEmpty(v) {
		delete(dst, name)
		return
	}
	dst[name] = v
}

// mergePackage lays the members of a package given in an update over the
// stored package of the same type.
func mergePackage(kind string, stored, given map[string]any) map[string]any {
	out := make(map[string]any, len(stored)+len(given))
	for k, v := range stored {
		out[k] = v
	}
	for _, name := range sortedKeys(given) {
		v := given[name]
		switch {
		case v == nil:
		case kind == "cmafPackage" && name == "hlsManifests":
			out[name] = mergeManifests(stored[name], v.([]any))
		default:
			setMember(out, name, v)
		}
	}
	if kind == "dashPackage" {
		// The stored URI (often Boxcar's own /time, filled in as the
		// default) goes with the timing scheme it was for.
		if t, _ := given["utcTiming"].(string); t == "NONE" && given["utcTimingUri"] == nil {
			delete(out, "utcTimingUri")
		}
	}
	return out
}

// mergeManifests returns the CMAF manifests an update names, each merged
// with the stored manifest of the same id when there is one.
func mergeManifests(stored any, given []any) []any {
	byID := map[string]map[string]any{}
	if list, ok := stored.([]any); ok {
		for _, m := range list {
			if m, ok := m.(map[string]any); ok {
				if id, ok := m["id"].(string); ok {
					byID[id] = m
				}
			}
		}
	}
	out := make([]any, 0, len(given))
	for _, g := range given {
		gm, ok := g.(map[string]any)
		if !ok {
			out = append(out, g) // checked before: cannot happen
			continue
		}
		id, _ := gm["id"].(string)
		prev, ok := byID[id]
		if !ok {
			out = append(out, gm)
			continue
		}
		m := make(map[string]any, len(prev)+len(gm))
		for k, v := range prev {
			m[k] = v
		}
		for _, k := range sortedKeys(gm) {
			if gm[k] != nil {
				m[k] = gm[k]
			}
		}
		out = append(out, m)
	}
	return out
}
