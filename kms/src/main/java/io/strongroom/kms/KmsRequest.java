package io.strongroom.kms;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A KMS API request handed to an embedded KMS in process ({@link KmsServer#call}): what arrived at some other
 * endpoint of the same process (the control plane's, which serves both APIs on one URL), or what an SDK client of the
 * same process sent, with the SigV4 signature of whoever made it. The KMS verifies that signature itself, exactly as
 * its HTTP endpoint does.
 *
 * @param method the HTTP method ({@code POST})
 * @param rawPath the request path as signed ({@code /})
 * @param rawQuery the query string as signed, or null
 * @param headers every header as received, with the signed ones among them (names in any case)
 * @param body the request body; it may hold a plaintext, so {@link #toString} leaves it out
 * @param sourceAddress who the audit record names as the source: the caller's IP address, or the name of the service
 *     making the call on a caller's behalf (CloudTrail's convention, e.g. {@code redshift.amazonaws.com})
 * @param userAgent the caller's User-Agent, or ""
 */
public record KmsRequest(
        String method,
        String rawPath,
        @Nullable String rawQuery,
        Map<String, List<String>> headers,
        byte[] body,
        String sourceAddress,
        String userAgent) {
    @Override
    public String toString() {
        return "KmsRequest[" + method + " " + rawPath + " from " + sourceAddress + ", " + body.length + " bytes]";
    }
}
