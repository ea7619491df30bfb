package io.strongroom.hsm.kmip;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A Request Message: the header (protocol version, optional credential, optional Batch Error Continuation Option)
 * and its batch items. The Batch Count on the wire is {@code items.size()}. Immutable.
 */
public record RequestMessage(
        ProtocolVersion version,
        @Nullable Credential credential,
        @Nullable Integer batchErrorContinuation,
        List<Item> items) {
    public RequestMessage {
        Objects.requireNonNull(version);
        items = List.copyOf(items);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a request has at least one batch item");
        }
    }

    /** One batch item; {@code batchItemId} is required when there is more than one item. */
    @SuppressWarnings("ArrayRecordComponent") // an opaque id, never compared as a record
    public record Item(int operationCode, byte @Nullable [] batchItemId, RequestPayload payload) {
        public Item(Operation operation, byte @Nullable [] batchItemId, RequestPayload payload) {
            this(operation.code(), batchItemId, payload);
        }

        public @Nullable Operation operation() {
            return Operation.ofCode(operationCode);
        }
    }
}
