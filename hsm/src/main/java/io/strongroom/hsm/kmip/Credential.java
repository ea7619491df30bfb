package io.strongroom.hsm.kmip;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A Username and Password credential of a request header. For {@code strongroom hsm} the username names the
 * partition and the password is its PIN. {@code toString} never shows the password.
 */
public record Credential(String username, @Nullable String password) {
    public Credential {
        Objects.requireNonNull(username);
    }

    @Override
    public String toString() {
        return "Credential[username=" + username + ", password=" + (password == null ? "none" : "(withheld)") + "]";
    }
}
