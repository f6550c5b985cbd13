package ingest

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// maxUserAgent truncates the logged User-Agent, as MediaPackage does.
const maxUserAgent = 8 << 10

// accessRecord is one ingress access-log line with MediaPackage's field
// names (mediapackage.md §4.2). It never carries credentials: the request
// field is scheme, host and path only.
type accessRecord struct {
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

// accessLog writes one JSON line per request. Safe for concurrent use.
type accessLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *accessLog) write(rec *accessRecord) {
	if l == nil || l.w == nil {
		return
	}
	if len(rec.UserAgent) > maxUserAgent {
		rec.UserAgent = rec.UserAgent[:maxUserAgent]
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(b)
}

func logTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
