package control

import (
	"context"
	"errors"
	"net/http"

	"boxcar/internal/configstore"
)

func (a *API) endpointARN(id string) string { return a.arnPrefix + "origin_endpoints/" + id }

func endpointError(err error, id string) error {
	if errors.Is(err, configstore.ErrNotFound) {
		return notFound("origin endpoint %q not found", id)
	}
	return err
}

func (a *API) createEndpoint(ctx context.Context, c *call) (int, any, error) {
	var in createEndpointRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	c.resource = a.endpointARN(in.ID)
	ep, err := a.newEndpoint(&in)
	if err != nil {
		return 0, nil, err
	}
	if err := a.store.CreateEndpoint(ctx, ep); err != nil {
		switch {
		case errors.Is(err, configstore.ErrExists):
			return 0, nil, unprocessable("id: an origin endpoint with id %q already exists", in.ID)
		case errors.Is(err, configstore.ErrNotFound):
			return 0, nil, notFound("channelId: channel %q not found", in.ChannelID)
		}
		return 0, nil, err
	}
	return http.StatusOK, ep, nil
}

// newEndpoint validates a create request and builds the endpoint with
// every default filled in.
func (a *API) newEndpoint(in *createEndpointRequest) (*configstore.OriginEndpoint, error) {
	var fe fieldErrors
	checkID(&fe, "id", in.ID)
	checkID(&fe, "channelId", in.ChannelID)
	checkTags(&fe, "tags", in.Tags)
	ep := &configstore.OriginEndpoint{
		ARN:       a.endpointARN(in.ID),
		ID:        in.ID,
		ChannelID: in.ChannelID,
		CreatedAt: a.clock.Now().UTC().Format(createdAtLayout),
		Tags:      in.Tags,
	}
	a.applyEndpointSettings(&fe, &in.endpointSettings, ep)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return ep, nil
}

func (a *API) describeEndpoint(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	if err := checkPathID("origin endpoint", id); err != nil {
		return 0, nil, err
	}
	ep, err := a.store.Endpoint(ctx, id)
	if err != nil {
		return 0, nil, endpointError(err, id)
	}
	return http.StatusOK, ep, nil
}

func (a *API) listEndpoints(ctx context.Context, c *call) (int, any, error) {
	channelID := c.r.URL.Query().Get("channelId")
	if channelID != "" {
		if err := checkPathID("channelId: channel", channelID); err != nil {
			return 0, nil, err
		}
	}
	p, err := page(c.r, "origin_endpoints", channelID)
	if err != nil {
		return 0, nil, err
	}
	items, next, err := a.store.ListEndpoints(ctx, channelID, p)
	if err != nil {
		return 0, nil, err
	}
	if items == nil {
		items = []*configstore.OriginEndpoint{}
	}
	return http.StatusOK, listEndpointsResponse{OriginEndpoints: items, NextToken: nextToken("origin_endpoints", channelID, next)}, nil
}

// updateEndpoint merges the request into the endpoint's settings (see
// mergeEndpointUpdate: omitted members keep their values) and validates
// the result as on create. The id, channel, ARN, createdAt and tags stay.
func (a *API) updateEndpoint(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.endpointARN(id)
	if err := checkPathID("origin endpoint", id); err != nil {
		return 0, nil, err
	}
	var in updateEndpointRequest
	req, err := decodeStrictObject(c.body, &in)
	if err != nil {
		return 0, nil, err
	}
	var fe fieldErrors
	if present(in.ID) {
		fe.add("id", "cannot be changed; the endpoint is named by the path")
	}
	if present(in.ChannelID) {
		fe.add("channelId", "cannot be changed after the endpoint is created; create a new endpoint on the other channel")
	}
	if present(in.Tags) {
		fe.add("tags", "cannot be changed by UpdateOriginEndpoint; use TagResource and UntagResource")
	}
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	ep, err := a.store.UpdateEndpoint(ctx, id, func(ep *configstore.OriginEndpoint) error {
		settings, err := mergeEndpointUpdate(ep, req)
		if err != nil {
			return err
		}
		var fe fieldErrors
		a.applyEndpointSettings(&fe, settings, ep)
		return fe.err()
	})
	if err != nil {
		return 0, nil, endpointError(err, id)
	}
	return http.StatusOK, ep, nil
}

func present(m []byte) bool { return len(m) > 0 && string(m) != "null" }

func (a *API) deleteEndpoint(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.endpointARN(id)
	if err := checkPathID("origin endpoint", id); err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteEndpoint(ctx, id); err != nil {
		return 0, nil, endpointError(err, id)
	}
	return http.StatusAccepted, nil, nil
}
