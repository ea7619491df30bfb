package io.strongroom.hsm.gateway;

import io.strongroom.hsm.kmip.ResultReason;

/**
 * A batch item the gateway refuses: the Result Reason and the Result Message it answers with. The message is sent
 * to the client, so it names ids and tags, never key material or PINs.
 */
final class KmipFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ResultReason reason;
    private final String resultMessage;

    KmipFailure(ResultReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.resultMessage = message;
    }

    String resultMessage() {
        return resultMessage;
    }

    ResultReason reason() {
        return reason;
    }
}
