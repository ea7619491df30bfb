package io.strongroom.hsm.kmip;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The Request Payload of one batch item, one record per operation. A null Unique Identifier means the ID
 * placeholder: the object the previous batch item made or found. Byte arrays are not copied; {@code toString}
 * shows lengths, never content. Encoding per protocol version is {@link PayloadCodec}'s.
 */
public sealed interface RequestPayload {
    /** Create: Object Type, then the attributes (1.x: Template-Attribute; 2.0: Attributes). */
    record Create(int objectType, List<Attribute> attributes) implements RequestPayload {
        public Create {
            attributes = List.copyOf(attributes);
        }
    }

    record Activate(@Nullable String uniqueIdentifier) implements RequestPayload {}

    /** Get Attributes: no names means all attributes. Names are 1.x Attribute Names (2.0: mapped to tags). */
    record GetAttributes(@Nullable String uniqueIdentifier, List<String> attributeNames) implements RequestPayload {
        public GetAttributes {
            attributeNames = List.copyOf(attributeNames);
        }
    }

    record Locate(
            @Nullable Integer maximumItems,
            @Nullable Integer offsetItems,
            @Nullable Integer storageStatusMask,
            @Nullable Integer objectGroupMember,
            List<Attribute> attributes)
            implements RequestPayload {
        public Locate {
            attributes = List.copyOf(attributes);
        }
    }

    @SuppressWarnings("ArrayRecordComponent") // toString below; never compared
    record Encrypt(
            @Nullable String uniqueIdentifier,
            @Nullable CryptographicParameters parameters,
            byte[] data,
            byte @Nullable [] iv,
            byte @Nullable [] additionalData)
            implements RequestPayload {
        @Override
        public String toString() {
            return "Encrypt[uid=" + uniqueIdentifier + ", " + parameters + ", data " + data.length + " bytes, iv "
                    + length(iv) + ", aad " + length(additionalData) + "]";
        }
    }

    @SuppressWarnings("ArrayRecordComponent") // toString below; never compared
    record Decrypt(
            @Nullable String uniqueIdentifier,
            @Nullable CryptographicParameters parameters,
            byte[] data,
            byte @Nullable [] iv,
            byte @Nullable [] additionalData,
            byte @Nullable [] tag)
            implements RequestPayload {
        @Override
        public String toString() {
            return "Decrypt[uid=" + uniqueIdentifier + ", " + parameters + ", data " + data.length + " bytes, iv "
                    + length(iv) + ", aad " + length(additionalData) + ", tag " + length(tag) + "]";
        }
    }

    /** Revoke: reason code and optional message; the compromise date only with Key Compromise. */
    record Revoke(
            @Nullable String uniqueIdentifier,
            int reasonCode,
            @Nullable String message,
            @Nullable Long compromiseOccurrenceDate)
            implements RequestPayload {}

    record Destroy(@Nullable String uniqueIdentifier) implements RequestPayload {}

    /** Discover Versions: the client's versions, best first; may be empty. */
    record DiscoverVersions(List<ProtocolVersion> versions) implements RequestPayload {
        public DiscoverVersions {
            versions = List.copyOf(versions);
        }
    }

    /** Get: Strongroom's server refuses it for sensitive keys; the key-format fields are read and ignored. */
    record Get(@Nullable String uniqueIdentifier) implements RequestPayload {}

    record Query(List<Integer> functions) implements RequestPayload {
        public Query {
            functions = List.copyOf(functions);
        }
    }

    /** An operation this module does not decode; the server answers Operation Not Supported. */
    record Unsupported(int operationCode) implements RequestPayload {}

    private static String length(byte @Nullable [] b) {
        return b == null ? "none" : b.length + " bytes";
    }
}
