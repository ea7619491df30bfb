package io.strongroom.kms;

import java.util.Arrays;

/**
 * The KMS's answer to a {@link KmsRequest} made in process: the HTTP status, the request id its audit record names,
 * and the JSON 1.1 body ({@link #CONTENT_TYPE}) the HTTP endpoint would have sent. The body may carry a data key or a
 * plaintext: send or read it, then {@link #close()} the answer, which zeroes it. Not thread-safe.
 */
public final class KmsAnswer implements AutoCloseable {
    public static final String CONTENT_TYPE = "application/x-amz-json-1.1";

    private final int status;
    private final String requestId;
    private final byte[] body;

    public KmsAnswer(int status, String requestId, byte[] body) {
        this.status = status;
        this.requestId = requestId;
        this.body = body;
    }

    public int status() {
        return status;
    }

    public String requestId() {
        return requestId;
    }

    /** The JSON body itself, not a copy: it is zeroed by {@link #close()}. */
    public byte[] body() {
        return body;
    }

    @Override
    public void close() {
        Arrays.fill(body, (byte) 0);
    }

    @Override
    public String toString() {
        return "KmsAnswer[" + status + " " + requestId + "]";
    }
}
