package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxcar/internal/accesslog"
)

// jsonRecord is the access-log line as encoding/json wrote it before the
// hand appender: the appender must write the same bytes.
type jsonRecord struct {
	Timestamp        string  `json:"timestamp"`
	ClientIP         string  `json:"clientIp"`
	ProcessingTime   float64 `json:"processingTime"`
	StatusCode       string  `json:"statusCode"`
	ReceivedBytes    int64   `json:"receivedBytes"`
	SentBytes        int64   `json:"sentBytes"`
	Method           string  `json:"method"`
	Request          string  `json:"request"`
	Protocol         string  `json:"protocol"`
	UserAgent        string  `json:"userAgent"`
	ChannelID        string  `json:"channelId"`
	IngestEndpointID string  `json:"ingestEndpointId"`
	RequestID        string  `json:"requestId"`
}

func TestAccessRecordAsJSON(t *testing.T) {
	for _, rec := range []accessRecord{
		{},
		{Fields: accesslog.Fields{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), ClientIP: "192.0.2.1", ProcessingTime: 1234567 * time.Nanosecond,
			StatusCode: 201, ReceivedBytes: 1 << 20, SentBytes: 3, Method: "PUT", Request: "http://h/in/v2/ch1/ep1/a.ts",
			Protocol: "HTTP/1.1", UserAgent: "Lavf/61 <&> \u2028 é \xff"}, ChannelID: "ch1", IngestEndpointID: "ep1", RequestID: "abc"},
		{Fields: accesslog.Fields{ProcessingTime: 300 * time.Nanosecond, StatusCode: 401, UserAgent: strings.Repeat("u", 9000)}},
		{Fields: accesslog.Fields{ProcessingTime: 2 * time.Hour, StatusCode: 503, Timestamp: time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))}},
	} {
		ua := rec.UserAgent
		if len(ua) > 8<<10 {
			ua = ua[:8<<10]
		}
		want, err := json.Marshal(jsonRecord{
			Timestamp: rec.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z"), ClientIP: rec.ClientIP,
			ProcessingTime: rec.ProcessingTime.Seconds(), StatusCode: strconv.Itoa(rec.StatusCode),
			ReceivedBytes: rec.ReceivedBytes, SentBytes: rec.SentBytes, Method: rec.Method, Request: rec.Request,
			Protocol: rec.Protocol, UserAgent: ua, ChannelID: rec.ChannelID, IngestEndpointID: rec.IngestEndpointID, RequestID: rec.RequestID,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(rec.appendJSON(nil)); got != string(want)+"\n" {
			t.Errorf("access line\n got %s\nwant %s", got, want)
		}
	}
}
