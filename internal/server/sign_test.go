package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedDo sends a body-less request signed with the test admin key, as
// the AWS SDK would.
func signedDo(req *http.Request) (*http.Response, error) {
	sum := sha256.Sum256(nil)
	hash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner()
	err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		req, hash, "mediapackage", "us-east-1", time.Now())
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}
