package control

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"boxcar/internal/config"
	"boxcar/internal/configstore"
)

func (a *API) channelARN(id string) string { return a.arnPrefix + "channels/" + id }

// newIngestEndpoint makes one ingest endpoint with fresh credentials.
func (a *API) newIngestEndpoint(channelID string) configstore.IngestEndpoint {
	id := randomHex(16)
	return configstore.IngestEndpoint{
		ID:       id,
		URL:      a.publicURL + "/in/v2/" + channelID + "/" + id + "/channel",
		Username: randomHex(16),
		Password: RandomString(passwordLength),
	}
}

func rotate(ie *configstore.IngestEndpoint) {
	ie.Username = randomHex(16)
	ie.Password = RandomString(passwordLength)
}

// channelError maps store errors of channel id.
func channelError(err error, id string) error {
	if errors.Is(err, configstore.ErrNotFound) {
		return notFound("channel %q not found", id)
	}
	return err
}

func (a *API) createChannel(ctx context.Context, c *call) (int, any, error) {
	var in createChannelRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	c.resource = a.channelARN(in.ID)
	var fe fieldErrors
	checkID(&fe, "id", in.ID)
	checkDescription(&fe, "description", in.Description)
	checkTags(&fe, "tags", in.Tags)
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	ch := &configstore.Channel{
		ARN:         a.channelARN(in.ID),
		ID:          in.ID,
		Description: in.Description,
		CreatedAt:   a.clock.Now().UTC().Format(createdAtLayout),
		HLSIngest: configstore.HLSIngest{IngestEndpoints: []configstore.IngestEndpoint{
			a.newIngestEndpoint(in.ID), a.newIngestEndpoint(in.ID),
		}},
		Tags: in.Tags,
	}
	if err := a.store.CreateChannel(ctx, ch); err != nil {
		if errors.Is(err, configstore.ErrExists) {
			return 0, nil, unprocessable("id: a channel with id %q already exists", in.ID)
		}
		return 0, nil, err
	}
	return http.StatusOK, ch, nil
}

// redactFor blanks the ingest passwords unless the caller is an admin:
// a read-only key is for looking, and an ingest password would let its
// holder push media.
func redactFor(p principal, ch *configstore.Channel) *configstore.Channel {
	if p.Role == config.RoleAdmin {
		return ch
	}
	for i := range ch.HLSIngest.IngestEndpoints {
		ch.HLSIngest.IngestEndpoints[i].Password = ""
	}
	return ch
}

func (a *API) describeChannel(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	ch, err := a.store.Channel(ctx, id)
	if err != nil {
		return 0, nil, channelError(err, id)
	}
	return http.StatusOK, redactFor(c.principal, ch), nil
}

func (a *API) listChannels(ctx context.Context, c *call) (int, any, error) {
	p, err := page(c.r, "channels", "")
	if err != nil {
		return 0, nil, err
	}
	items, next, err := a.store.ListChannels(ctx, p)
	if err != nil {
		return 0, nil, err
	}
	if items == nil {
		items = []*configstore.Channel{}
	}
	for _, ch := range items {
		redactFor(c.principal, ch)
	}
	return http.StatusOK, listChannelsResponse{Channels: items, NextToken: nextToken("channels", "", next)}, nil
}

// updateChannel changes the description (the only updatable member); an
// absent description leaves it as it is.
func (a *API) updateChannel(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.channelARN(id)
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	var in updateChannelRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	var fe fieldErrors
	if in.Description != nil {
		checkDescription(&fe, "description", *in.Description)
	}
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	ch, err := a.store.UpdateChannel(ctx, id, func(ch *configstore.Channel) error {
		if in.Description != nil {
			ch.Description = *in.Description
		}
		return nil
	})
	if err != nil {
		return 0, nil, channelError(err, id)
	}
	return http.StatusOK, ch, nil
}

func (a *API) deleteChannel(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.channelARN(id)
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteChannel(ctx, id); err != nil {
		if errors.Is(err, configstore.ErrConflict) {
			eps, _, lerr := a.store.ListEndpoints(ctx, id, configstore.Page{Limit: 10})
			if lerr != nil {
				return 0, nil, lerr
			}
			names := make([]string, len(eps))
			for i, ep := range eps {
				names[i] = ep.ID
			}
			return 0, nil, unprocessable("channel %q still has origin endpoints (%s); delete its endpoints first", id, strings.Join(names, ", "))
		}
		return 0, nil, channelError(err, id)
	}
	if a.channelDeleted != nil {
		// The channel is gone whether or not the client waits for the
		// answer: its media must go too.
		a.channelDeleted(context.WithoutCancel(ctx), id)
	}
	return http.StatusAccepted, nil, nil
}

func (a *API) configureLogs(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.channelARN(id)
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	var in configureLogsRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	var fe fieldErrors
	egress := accessLogs(&fe, "egressAccessLogs", in.EgressAccessLogs, defaultEgressLogGroup)
	ingress := accessLogs(&fe, "ingressAccessLogs", in.IngressAccessLogs, defaultIngressLogGroup)
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	ch, err := a.store.UpdateChannel(ctx, id, func(ch *configstore.Channel) error {
		ch.EgressAccessLogs, ch.IngressAccessLogs = egress, ingress
		return nil
	})
	if err != nil {
		return 0, nil, channelError(err, id)
	}
	return http.StatusOK, ch, nil
}

// accessLogs validates one access-log setting: absent turns the log off,
// an empty logGroupName takes the default group.
func accessLogs(fe *fieldErrors, field string, in *configstore.AccessLogs, def string) *configstore.AccessLogs {
	if in == nil {
		return nil
	}
	name := in.LogGroupName
	if name == "" {
		name = def
	}
	if len(name) > maxLogGroupLength || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/#") != "" {
		fe.add(field+".logGroupName", "must be 1 to %d characters of A-Z, a-z, 0-9 and . _ - / #, got %q", maxLogGroupLength, truncate(name, 100))
	}
	return &configstore.AccessLogs{LogGroupName: name}
}

// rotateChannelCredentials is the deprecated RotateChannelCredentials: it
// gives both ingest endpoints new credentials.
func (a *API) rotateChannelCredentials(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	c.resource = a.channelARN(id)
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	ch, err := a.store.UpdateChannel(ctx, id, func(ch *configstore.Channel) error {
		for i := range ch.HLSIngest.IngestEndpoints {
			rotate(&ch.HLSIngest.IngestEndpoints[i])
		}
		return nil
	})
	if err != nil {
		return 0, nil, channelError(err, id)
	}
	return http.StatusOK, ch, nil
}

func (a *API) rotateIngestEndpointCredentials(ctx context.Context, c *call) (int, any, error) {
	id, ieID := c.r.PathValue("id"), c.r.PathValue("ingest_endpoint_id")
	c.resource = a.channelARN(id) + "/ingest_endpoints/" + ieID
	if err := checkPathID("channel", id); err != nil {
		return 0, nil, err
	}
	ch, err := a.store.UpdateChannel(ctx, id, func(ch *configstore.Channel) error {
		i := ch.IngestEndpointIndex(ieID)
		if i == 0 {
			return notFound("channel %q has no ingest endpoint %q", id, truncate(ieID, 140))
		}
		rotate(&ch.HLSIngest.IngestEndpoints[i-1])
		return nil
	})
	if err != nil {
		return 0, nil, channelError(err, id)
	}
	return http.StatusOK, ch, nil
}
