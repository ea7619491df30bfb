package io.strongroom.hsm.gateway;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Finds a PKCS#11 token's slot by its label, which SunPKCS11 cannot do (its configuration takes a slot id, and
 * SoftHSM2 moves a token to a new slot id at every {@code --init-token}). It calls the library's own {@code
 * C_Initialize}, {@code C_GetSlotList} and {@code C_GetTokenInfo} through the foreign function API, so it works for
 * any vendor's library, not only SoftHSM2.
 *
 * <p>The library is initialised with OS locking (what SunPKCS11 asks for too) and never finalised: the library is
 * loaded once per process and shared with SunPKCS11, which takes {@code CKR_CRYPTOKI_ALREADY_INITIALIZED} as
 * success; a {@code C_Finalize} here would pull it from under SunPKCS11. Assumes the LP64 ABI (CK_ULONG is 64
 * bits), true on Linux and macOS.
 *
 * <p>Thread-safe: calls are serialized.
 */
final class Pkcs11Slots {
    private static final long CKR_OK = 0;
    private static final long CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
    private static final long CKF_OS_LOCKING_OK = 0x2;
    private static final long CKF_TOKEN_INITIALIZED = 0x400;
    /** Offset of {@code flags} in CK_TOKEN_INFO: label[32], manufacturerID[32], model[16], serialNumber[16]. */
    private static final long TOKEN_FLAGS_OFFSET = 96;

    private static final Map<Path, Pkcs11Slots> LIBRARIES = new HashMap<>();

    private final Path library;
    private final SymbolLookup lib;
    private final MethodHandle getSlotList;
    private final MethodHandle getTokenInfo;

    private Pkcs11Slots(Path library, SymbolLookup lib, MethodHandle getSlotList, MethodHandle getTokenInfo) {
        this.library = library;
        this.lib = lib;
        this.getSlotList = getSlotList;
        this.getTokenInfo = getTokenInfo;
    }

    /** The (initialised) library at {@code library}. */
    static synchronized Pkcs11Slots of(Path library) {
        Path key = library.toAbsolutePath().normalize();
        Pkcs11Slots existing = LIBRARIES.get(key);
        if (existing != null) {
            return existing;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.libraryLookup(key, Arena.global());
            MethodHandle init =
                    linker.downcallHandle(lib.findOrThrow("C_Initialize"), FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            MethodHandle slots = linker.downcallHandle(
                    lib.findOrThrow("C_GetSlotList"), FunctionDescriptor.of(JAVA_LONG, JAVA_BYTE, ADDRESS, ADDRESS));
            MethodHandle info = linker.downcallHandle(
                    lib.findOrThrow("C_GetTokenInfo"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                // CK_C_INITIALIZE_ARGS: four mutex callbacks (null), flags, pReserved.
                MemorySegment args = arena.allocate(48);
                args.set(JAVA_LONG, 32, CKF_OS_LOCKING_OK);
                long rv = (long) init.invokeExact(args);
                if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
                    throw new StrongroomException(
                            ErrorCode.KEY_UNAVAILABLE,
                            String.format(
                                    Locale.ROOT,
                                    "C_Initialize of %s failed with CKR 0x%X; for SoftHSM2, check SOFTHSM2_CONF and"
                                            + " its token directory",
                                    key,
                                    rv));
                }
            }
            Pkcs11Slots s = new Pkcs11Slots(key, lib, slots, info);
            LIBRARIES.put(key, s);
            return s;
        } catch (StrongroomException e) {
            throw e;
        } catch (Throwable e) {
            throw new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE, "cannot load the PKCS#11 library " + key + ": " + e, e);
        }
    }

    /** The slot holding the initialised token labelled {@code label}, or null when none does. */
    synchronized @Nullable Long slotOf(String label) {
        Long found = null;
        for (Map.Entry<Long, String> e : tokens().entrySet()) {
            if (e.getValue().equals(label)) {
                if (found != null) {
                    throw new StrongroomException(
                            ErrorCode.INVALID_STATE,
                            "two tokens in " + library + " are labelled " + label + " (slots " + found + " and "
                                    + e.getKey() + "); partition labels must be unique: relabel or delete one");
                }
                found = e.getKey();
            }
        }
        return found;
    }

    /** Slot id to label of every initialised token present. */
    synchronized Map<Long, String> tokens() {
        return scan(true);
    }

    /**
     * Initialises a free (uninitialised) token as {@code label} with security officer PIN {@code soPin}, and sets its
     * user PIN to {@code userPin}, in this process, so that the token is visible here at once (SoftHSM2 does not see
     * tokens that another process makes after it was initialised). Returns the slot.
     */
    synchronized long initToken(String label, char[] soPin, char[] userPin) {
        if (slotOf(label) != null) {
            throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "a token labelled " + label + " exists already");
        }
        Long free = null;
        for (Map.Entry<Long, String> e : scan(false).entrySet()) {
            if (e.getValue().isEmpty()) {
                free = e.getKey();
                break;
            }
        }
        if (free == null) {
            throw new StrongroomException(
                    ErrorCode.INVALID_STATE,
                    library + " has no free token slot; create the token with the vendor's tools, labelled " + label
                            + ", then record it with `strongroom hsm partition create --existing`");
        }
        Linker linker = Linker.nativeLinker();
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle initTokenFn = linker.downcallHandle(
                    lib.findOrThrow("C_InitToken"),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
            MethodHandle open = linker.downcallHandle(
                    lib.findOrThrow("C_OpenSession"),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
            MethodHandle login = linker.downcallHandle(
                    lib.findOrThrow("C_Login"),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
            MethodHandle initPin = linker.downcallHandle(
                    lib.findOrThrow("C_InitPIN"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
            MethodHandle logout =
                    linker.downcallHandle(lib.findOrThrow("C_Logout"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
            MethodHandle close = linker.downcallHandle(
                    lib.findOrThrow("C_CloseSession"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
            byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
            MemorySegment labelField = arena.allocate(32);
            labelField.fill((byte) ' ');
            MemorySegment.copy(MemorySegment.ofArray(labelBytes), 0, labelField, 0, labelBytes.length);
            MemorySegment so = pin(arena, soPin);
            MemorySegment user = pin(arena, userPin);
            try {
                check((long) initTokenFn.invokeExact(free.longValue(), so, so.byteSize(), labelField), "C_InitToken");
                MemorySegment session = arena.allocate(JAVA_LONG);
                long rwSerial = 0x2 | 0x4; // CKF_RW_SESSION | CKF_SERIAL_SESSION
                check(
                        (long) open.invokeExact(
                                free.longValue(), rwSerial, MemorySegment.NULL, MemorySegment.NULL, session),
                        "C_OpenSession");
                long h = session.get(JAVA_LONG, 0);
                try {
                    check((long) login.invokeExact(h, 0L, so, so.byteSize()), "C_Login as security officer");
                    check((long) initPin.invokeExact(h, user, user.byteSize()), "C_InitPIN");
                    long ignored = (long) logout.invokeExact(h);
                } finally {
                    long ignored = (long) close.invokeExact(h);
                }
            } finally {
                so.fill((byte) 0);
                user.fill((byte) 0);
            }
        } catch (StrongroomException e) {
            throw e;
        } catch (Throwable e) {
            throw new StrongroomException(ErrorCode.KEY_UNAVAILABLE, "cannot initialise a token in " + library, e);
        }
        Long slot = slotOf(label);
        if (slot == null) {
            throw new StrongroomException(
                    ErrorCode.INTERNAL, "token " + label + " was initialised but " + library + " does not list it");
        }
        return slot;
    }

    private static MemorySegment pin(Arena arena, char[] pin) {
        byte[] b = new String(pin).getBytes(StandardCharsets.UTF_8);
        MemorySegment m = arena.allocate(Math.max(1, b.length));
        MemorySegment.copy(MemorySegment.ofArray(b), 0, m, 0, b.length);
        Arrays.fill(b, (byte) 0);
        return m.asSlice(0, b.length);
    }

    /** Slot id to label of every token present; uninitialised tokens map to "" unless {@code onlyInitialised}. */
    private Map<Long, String> scan(boolean onlyInitialised) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_LONG);
            check((long) getSlotList.invokeExact((byte) 1, MemorySegment.NULL, count), "C_GetSlotList");
            long n = count.get(JAVA_LONG, 0);
            if (n < 0 || n > 4096) {
                throw new StrongroomException(ErrorCode.KEY_UNAVAILABLE, library + " reports " + n + " slots");
            }
            MemorySegment ids = arena.allocate(JAVA_LONG, Math.max(1, n));
            check((long) getSlotList.invokeExact((byte) 1, ids, count), "C_GetSlotList");
            n = Math.min(n, count.get(JAVA_LONG, 0));
            Map<Long, String> out = new HashMap<>();
            MemorySegment info = arena.allocate(512, 8);
            List<Long> slots = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                slots.add(ids.getAtIndex(JAVA_LONG, i));
            }
            for (long slot : slots) {
                info.fill((byte) 0);
                long rv = (long) getTokenInfo.invokeExact(slot, info);
                if (rv != CKR_OK) {
                    continue; // a token removed between the two calls
                }
                if ((info.get(JAVA_LONG, TOKEN_FLAGS_OFFSET) & CKF_TOKEN_INITIALIZED) == 0) {
                    if (!onlyInitialised) {
                        out.put(slot, "");
                    }
                    continue;
                }
                byte[] label = info.asSlice(0, 32).toArray(JAVA_BYTE);
                out.put(slot, new String(label, StandardCharsets.UTF_8).stripTrailing());
            }
            return out;
        } catch (StrongroomException e) {
            throw e;
        } catch (Throwable e) {
            throw new StrongroomException(ErrorCode.KEY_UNAVAILABLE, "cannot list the tokens of " + library, e);
        }
    }

    private void check(long rv, String call) {
        if (rv != CKR_OK) {
            throw new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE,
                    String.format(Locale.ROOT, "%s of %s failed: CKR 0x%X", call, library, rv));
        }
    }
}
