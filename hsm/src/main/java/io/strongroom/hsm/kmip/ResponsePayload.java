package io.strongroom.hsm.kmip;

import io.strongroom.hsm.ttlv.Ttlv;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The Response Payload of one successful batch item, one record per operation. Byte arrays are not copied; {@code
 * toString} shows lengths, never content.
 */
public sealed interface ResponsePayload {
    /** Create: Object Type and Unique Identifier (1.x may add the attributes the server set implicitly). */
    record Create(int objectType, String uniqueIdentifier, List<Attribute> attributes) implements ResponsePayload {
        public Create {
            attributes = List.copyOf(attributes);
        }
    }

    /** Activate, Revoke and Destroy answer with the Unique Identifier only. */
    record UniqueIdentifier(String uniqueIdentifier) implements ResponsePayload {}

    record GetAttributes(String uniqueIdentifier, List<Attribute> attributes) implements ResponsePayload {
        public GetAttributes {
            attributes = List.copyOf(attributes);
        }
    }

    record Locate(@Nullable Integer locatedItems, List<String> uniqueIdentifiers) implements ResponsePayload {
        public Locate {
            uniqueIdentifiers = List.copyOf(uniqueIdentifiers);
        }
    }

    /** Encrypt: ciphertext without the tag; the IV only when the server chose it; the tag (1.4+). */
    @SuppressWarnings("ArrayRecordComponent") // toString below; never compared
    record Encrypt(String uniqueIdentifier, byte[] data, byte @Nullable [] iv, byte @Nullable [] tag)
            implements ResponsePayload {
        @Override
        public String toString() {
            return "Encrypt[uid=" + uniqueIdentifier + ", data " + data.length + " bytes, iv "
                    + (iv == null ? "none" : iv.length + " bytes") + ", tag "
                    + (tag == null ? "none" : tag.length + " bytes") + "]";
        }
    }

    @SuppressWarnings("ArrayRecordComponent") // toString below; never compared
    record Decrypt(String uniqueIdentifier, byte[] data) implements ResponsePayload {
        @Override
        public String toString() {
            return "Decrypt[uid=" + uniqueIdentifier + ", data " + data.length + " bytes]";
        }
    }

    record DiscoverVersions(List<ProtocolVersion> versions) implements ResponsePayload {
        public DiscoverVersions {
            versions = List.copyOf(versions);
        }
    }

    record Query(
            List<Integer> operations,
            List<Integer> objectTypes,
            @Nullable String vendorIdentification) implements ResponsePayload {
        public Query {
            operations = List.copyOf(operations);
            objectTypes = List.copyOf(objectTypes);
        }
    }

    /** A payload of an operation this module does not decode (for example Get), kept as read. */
    record Raw(Ttlv.Struct payload) implements ResponsePayload {
        @Override
        public String toString() {
            return "Raw[" + payload.items().size() + " items]";
        }
    }
}
