package io.strongroom.hsm.kmip;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A Response Message: protocol version, Time Stamp (POSIX seconds) and the batch items. Immutable. */
public record ResponseMessage(ProtocolVersion version, long timeStamp, List<Item> items) {
    public ResponseMessage {
        Objects.requireNonNull(version);
        items = List.copyOf(items);
    }

    /**
     * One batch item. {@code operationCode} is -1 when the server left the Operation out (PyKMIP does for a message
     * it could not parse); {@code resultReason} is -1 when absent; {@code payload} is present on success.
     */
    @SuppressWarnings("ArrayRecordComponent") // an opaque id, never compared as a record
    public record Item(
            int operationCode,
            byte @Nullable [] batchItemId,
            ResultStatus status,
            int resultReason,
            @Nullable String resultMessage,
            @Nullable ResponsePayload payload) {
        public static Item success(RequestMessage.Item request, ResponsePayload payload) {
            return new Item(request.operationCode(), request.batchItemId(), ResultStatus.SUCCESS, -1, null, payload);
        }

        public static Item failure(
                int operationCode, byte @Nullable [] batchItemId, ResultReason reason, String message) {
            return new Item(operationCode, batchItemId, ResultStatus.OPERATION_FAILED, reason.code(), message, null);
        }

        public @Nullable Operation operation() {
            return Operation.ofCode(operationCode);
        }
    }
}
