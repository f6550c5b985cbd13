package control

import (
	"context"
	"maps"
	"net/http"
	"strings"

	"boxcar/internal/configstore"
)

// resourceRef is a resource named by an ARN in a tags path.
type resourceRef struct {
	kind string // "channels", "origin_endpoints" or "harvest_jobs"
	id   string
}

// parseARN resolves arn:aws:mediapackage:<region>:<account>:<kind>/<id>.
// ARNs of another region or account name nothing here (404).
func (a *API) parseARN(arn string) (resourceRef, error) {
	const form = "arn:aws:mediapackage:REGION:ACCOUNT:channels/ID (or origin_endpoints/ID)"
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "mediapackage" {
		return resourceRef{}, unprocessable("resource-arn: must be an ARN of the form %s, got %q", form, truncate(arn, 200))
	}
	kind, id, ok := strings.Cut(parts[5], "/")
	if !ok || (kind != "channels" && kind != "origin_endpoints" && kind != "harvest_jobs") || !validID(id) {
		return resourceRef{}, unprocessable("resource-arn: must be an ARN of the form %s, got %q", form, truncate(arn, 200))
	}
	if !strings.HasPrefix(arn, a.arnPrefix) {
		return resourceRef{}, notFound("resource-arn: no resource %q: this server's ARNs start with %s", truncate(arn, 200), a.arnPrefix)
	}
	if kind == "harvest_jobs" {
		return resourceRef{}, unprocessable("resource-arn: harvest jobs cannot be tagged; tag channels and origin endpoints")
	}
	return resourceRef{kind, id}, nil
}

func (a *API) listTags(ctx context.Context, c *call) (int, any, error) {
	ref, err := a.parseARN(c.r.PathValue("arn"))
	if err != nil {
		return 0, nil, err
	}
	var tags map[string]string
	switch ref.kind {
	case "channels":
		ch, err := a.store.Channel(ctx, ref.id)
		if err != nil {
			return 0, nil, channelError(err, ref.id)
		}
		tags = ch.Tags
	default:
		ep, err := a.store.Endpoint(ctx, ref.id)
		if err != nil {
			return 0, nil, endpointError(err, ref.id)
		}
		tags = ep.Tags
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return http.StatusOK, tagsResponse{Tags: tags}, nil
}

// updateTags applies fn to the tags of the resource ref inside one store
// transaction, then checks the tag limits on the result.
func (a *API) updateTags(ctx context.Context, ref resourceRef, fn func(map[string]string) map[string]string) error {
	apply := func(tags map[string]string) (map[string]string, error) {
		out := fn(maps.Clone(tags))
		var fe fieldErrors
		checkTags(&fe, "tags", out)
		if len(out) == 0 {
			out = nil
		}
		return out, fe.err()
	}
	switch ref.kind {
	case "channels":
		_, err := a.store.UpdateChannel(ctx, ref.id, func(ch *configstore.Channel) (err error) {
			ch.Tags, err = apply(ch.Tags)
			return err
		})
		return channelError(err, ref.id)
	default:
		_, err := a.store.UpdateEndpoint(ctx, ref.id, func(ep *configstore.OriginEndpoint) (err error) {
			ep.Tags, err = apply(ep.Tags)
			return err
		})
		return endpointError(err, ref.id)
	}
}

func (a *API) tagResource(ctx context.Context, c *call) (int, any, error) {
	arn := c.r.PathValue("arn")
	c.resource = arn
	ref, err := a.parseARN(arn)
	if err != nil {
		return 0, nil, err
	}
	var in tagResourceRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	if in.Tags == nil {
		return 0, nil, unprocessable("tags: required")
	}
	var fe fieldErrors
	checkTags(&fe, "tags", in.Tags)
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	err = a.updateTags(ctx, ref, func(tags map[string]string) map[string]string {
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		return tags
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) untagResource(ctx context.Context, c *call) (int, any, error) {
	arn := c.r.PathValue("arn")
	c.resource = arn
	ref, err := a.parseARN(arn)
	if err != nil {
		return 0, nil, err
	}
	keys := c.r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return 0, nil, unprocessable("tagKeys: at least one tagKeys query parameter is required")
	}
	err = a.updateTags(ctx, ref, func(tags map[string]string) map[string]string {
		for _, k := range keys {
			delete(tags, k)
		}
		return tags
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
