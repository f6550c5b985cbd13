package control

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"boxcar/internal/configstore"
)

// Harvest limits (MediaPackage's).
const (
	maxHarvestSpan       = 24 * time.Hour
	maxManifestKeyLength = 1024
)

// harvestTimeLayouts are the ISO 8601 forms startTime and endTime may
// take: RFC 3339 (with or without fractional seconds) and the compact
// offset form without a colon.
var harvestTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"}

func parseHarvestTime(s string) (time.Time, bool) {
	for _, l := range harvestTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (a *API) harvestJobARN(id string) string { return a.arnPrefix + "harvest_jobs/" + id }

func (a *API) createHarvestJob(ctx context.Context, c *call) (int, any, error) {
	var in createHarvestJobRequest
	if err := DecodeStrict(c.body, &in); err != nil {
		return 0, nil, err
	}
	c.resource = a.harvestJobARN(in.ID)
	var fe fieldErrors
	checkID(&fe, "id", in.ID)
	checkID(&fe, "originEndpointId", in.OriginEndpointID)
	start, okStart := harvestTime(&fe, "startTime", in.StartTime)
	end, okEnd := harvestTime(&fe, "endTime", in.EndTime)
	now := a.clock.Now()
	if okStart && okEnd {
		switch {
		case !start.Before(end):
			fe.add("endTime", "must be after startTime (%s), got %s", in.StartTime, in.EndTime)
		case end.Sub(start) > maxHarvestSpan:
			fe.add("endTime", "a harvest spans at most %s, got %s", maxHarvestSpan, end.Sub(start))
		}
		if end.After(now) {
			fe.add("endTime", "must not be in the future (server time %s), got %s", now.UTC().Format(time.RFC3339), in.EndTime)
		}
	}
	if d := in.S3Destination; d == nil {
		fe.add("s3Destination", "required")
	} else {
		checkBucketName(&fe, "s3Destination.bucketName", d.BucketName)
		checkRequiredString(&fe, "s3Destination.manifestKey", d.ManifestKey, maxManifestKeyLength)
		checkRequiredString(&fe, "s3Destination.roleArn", d.RoleARN, maxARNLength)
	}
	if err := fe.err(); err != nil {
		return 0, nil, err
	}
	ep, err := a.store.Endpoint(ctx, in.OriginEndpointID)
	if err != nil {
		if errors.Is(err, configstore.ErrNotFound) {
			return 0, nil, notFound("originEndpointId: origin endpoint %q not found", in.OriginEndpointID)
		}
		return 0, nil, err
	}
	if ep.StartoverWindowSeconds <= 0 {
		return 0, nil, unprocessable("originEndpointId: origin endpoint %q has no startoverWindowSeconds; harvesting reads the startover window, so set one first", ep.ID)
	}
	if oldest := now.Add(-time.Duration(ep.StartoverWindowSeconds) * time.Second); start.Before(oldest) {
		return 0, nil, unprocessable("startTime: %s is older than origin endpoint %q keeps (startoverWindowSeconds %d: nothing before %s)", in.StartTime, ep.ID, ep.StartoverWindowSeconds, oldest.UTC().Format(time.RFC3339))
	}
	job := &configstore.HarvestJob{
		ARN:              a.harvestJobARN(in.ID),
		ID:               in.ID,
		ChannelID:        ep.ChannelID,
		OriginEndpointID: ep.ID,
		StartTime:        start.UTC().Format(time.RFC3339Nano),
		EndTime:          end.UTC().Format(time.RFC3339Nano),
		S3Destination:    *in.S3Destination,
		Status:           "IN_PROGRESS",
		CreatedAt:        now.UTC().Format(createdAtLayout),
	}
	if err := a.store.CreateHarvestJob(ctx, job); err != nil {
		switch {
		case errors.Is(err, configstore.ErrExists):
			return 0, nil, unprocessable("id: a harvest job with id %q already exists", in.ID)
		case errors.Is(err, configstore.ErrNotFound):
			return 0, nil, notFound("originEndpointId: origin endpoint %q not found", in.OriginEndpointID)
		}
		return 0, nil, err
	}
	return http.StatusOK, job, nil
}

func harvestTime(fe *fieldErrors, field, s string) (time.Time, bool) {
	if s == "" {
		fe.add(field, "required")
		return time.Time{}, false
	}
	t, ok := parseHarvestTime(s)
	if !ok {
		fe.add(field, "must be an ISO 8601 date-time with an offset such as 2024-05-01T12:00:00Z, got %q", truncate(s, 60))
	}
	return t, ok
}

// checkBucketName applies S3's bucket naming rules.
func checkBucketName(fe *fieldErrors, field, name string) {
	valid := len(name) >= 3 && len(name) <= 63 &&
		strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == "" &&
		isAlnum(name[0]) && isAlnum(name[len(name)-1]) && !strings.Contains(name, "..")
	switch {
	case name == "":
		fe.add(field, "required")
	case !valid:
		fe.add(field, "must be an S3 bucket name: 3 to 63 lower-case letters, digits, . and -, starting and ending with a letter or digit, got %q", truncate(name, 80))
	}
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func (a *API) describeHarvestJob(ctx context.Context, c *call) (int, any, error) {
	id := c.r.PathValue("id")
	if err := checkPathID("harvest job", id); err != nil {
		return 0, nil, err
	}
	job, err := a.store.HarvestJob(ctx, id)
	if err != nil {
		if errors.Is(err, configstore.ErrNotFound) {
			return 0, nil, notFound("harvest job %q not found", id)
		}
		return 0, nil, err
	}
	return http.StatusOK, job, nil
}

func (a *API) listHarvestJobs(ctx context.Context, c *call) (int, any, error) {
	q := c.r.URL.Query()
	f := configstore.HarvestJobFilter{ChannelID: q.Get("includeChannelId"), Status: q.Get("includeStatus")}
	if f.ChannelID != "" {
		if err := checkPathID("includeChannelId: channel", f.ChannelID); err != nil {
			return 0, nil, err
		}
	}
	if f.Status != "" && !slices.Contains(statusValues, f.Status) {
		return 0, nil, unprocessable("includeStatus: must be one of %s, got %q", strings.Join(statusValues, ", "), truncate(f.Status, 40))
	}
	filter := f.ChannelID + "\x01" + f.Status
	p, err := page(c.r, "harvest_jobs", filter)
	if err != nil {
		return 0, nil, err
	}
	items, next, err := a.store.ListHarvestJobs(ctx, f, p)
	if err != nil {
		return 0, nil, err
	}
	if items == nil {
		items = []*configstore.HarvestJob{}
	}
	return http.StatusOK, listHarvestJobsResponse{HarvestJobs: items, NextToken: nextToken("harvest_jobs", filter, next)}, nil
}
