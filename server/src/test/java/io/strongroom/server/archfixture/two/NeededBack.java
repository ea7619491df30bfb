package io.strongroom.server.archfixture.two;

import io.strongroom.server.archfixture.one.NeedsTheOther;

/** A deliberate package cycle for {@code ArchitectureTest}, with {@link NeedsTheOther}. */
public final class NeededBack {
    private NeededBack() {}

    public static int back() {
        return NeedsTheOther.one();
    }
}
