package egress

import (
	"testing"
	"time"

	"boxcar/internal/accesslog"
)

// TestAccessRecordLine pins the bytes of egress access-log lines:
// MediaPackage's field names in their order, processingTime with six
// decimals, optional account and endpointArn.
func TestAccessRecordLine(t *testing.T) {
	for _, c := range []struct {
		rec  accessRecord
		want string
	}{
		{accessRecord{Fields: accesslog.Fields{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600)), ClientIP: "2001:db8::1", ProcessingTime: 1234567 * time.Nanosecond,
			StatusCode: 206, ReceivedBytes: 0, SentBytes: 65536, Method: "GET", Request: "https://cdn.example.com/out/v1/hls1/index_1_2.ts?m=1&x=<y>",
			Protocol: "HTTP/2.0", UserAgent: "player \"1\" \u2028 \xff"}, DomainName: "cdn.example.com", Account: "123456789012", ChannelID: "ch1",
			EndpointID: "hls1", EndpointARN: "arn:aws:mediapackage:us-east-1:123456789012:origin_endpoints/hls1", RequestID: "0123456789abcdef-1"},
			"{\"timestamp\":\"2026-01-02T02:04:05.123456Z\",\"clientIp\":\"2001:db8::1\",\"processingTime\":0.001235,\"statusCode\":\"206\",\"receivedBytes\":0,\"sentBytes\":65536,\"method\":\"GET\",\"request\":\"https://cdn.example.com/out/v1/hls1/index_1_2.ts?m=1\\u0026x=\\u003cy\\u003e\",\"protocol\":\"HTTP/2.0\",\"userAgent\":\"player \\\"1\\\" \\u2028 \\ufffd\",\"domainName\":\"cdn.example.com\",\"account\":\"123456789012\",\"channelId\":\"ch1\",\"endpointId\":\"hls1\",\"endpointArn\":\"arn:aws:mediapackage:us-east-1:123456789012:origin_endpoints/hls1\",\"requestId\":\"0123456789abcdef-1\"}\n"},
		{accessRecord{Fields: accesslog.Fields{StatusCode: 404, ProcessingTime: 300 * time.Nanosecond}},
			"{\"timestamp\":\"0001-01-01T00:00:00.000000Z\",\"clientIp\":\"\",\"processingTime\":0.000000,\"statusCode\":\"404\",\"receivedBytes\":0,\"sentBytes\":0,\"method\":\"\",\"request\":\"\",\"protocol\":\"\",\"userAgent\":\"\",\"domainName\":\"\",\"channelId\":\"\",\"endpointId\":\"\",\"requestId\":\"\"}\n"},
	} {
		if got := string(c.rec.appendJSON(nil)); got != c.want {
			t.Errorf("access line\n got %s\nwant %s", got, c.want)
		}
	}
}
