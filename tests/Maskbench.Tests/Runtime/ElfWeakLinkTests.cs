using Maskbench.Runtime;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Runtime;

public class ElfWeakLinkTests
{
    /// <summary>The pristine library as NuGet ships it (the build patches only the output copies).</summary>
    static string ShippedLibrary()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(File.Exists(path), $"{path} is not in the NuGet cache");
        return path;
    }

    [SkippableFact]
    public void PatchChangesExactlyTwoBytesAndIsIdempotent()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        Assert.Equal(ElfWeakLinkState.Strong, ElfWeakLink.Inspect(original, "shipped"));

        byte[] patched = (byte[])original.Clone();
        Assert.True(ElfWeakLink.MakeWeak(patched, "copy"));
        Assert.Equal(ElfWeakLinkState.Weak, ElfWeakLink.Inspect(patched, "copy"));
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        var offsets = ElfWeakLink.Locate(original, "shipped");
        Assert.Equal(new long[] { offsets.VersionFlags, offsets.SymbolInfo }.Order(), changed.Select(i => (long)i).Order());
        // vna_flags gains VER_FLG_WEAK (2); st_info's binding nibble becomes STB_WEAK (2), type nibble kept.
        Assert.Equal(original[offsets.VersionFlags] | 2, patched[offsets.VersionFlags]);
        Assert.Equal(0x20 | (original[offsets.SymbolInfo] & 0x0f), patched[offsets.SymbolInfo]);

        byte[] again = (byte[])patched.Clone();
        Assert.False(ElfWeakLink.MakeWeak(again, "copy"));
        Assert.Equal(patched, again);
    }

    [SkippableFact]
    public void PatchFileReplacesThroughATemporaryAndParsesBack()
    {
        using var temp = new TempFolder();
        string lib = temp["libLibTorchSharp.so"];
        File.Copy(ShippedLibrary(), lib);
        Assert.Equal(ElfWeakLinkState.Weak, ElfWeakLink.PatchFile(lib));
        Assert.Equal(ElfWeakLinkState.Weak, ElfWeakLink.PatchFile(lib));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void OutputCopyBesideTheTestsIsPatchedWhereTheSystemNeedsIt()
    {
        string? system = ElfWeakLink.FindSystemLibStdCxx();
        string? lib = TorchRuntime.FindLibTorchSharp();
        Assert.NotNull(lib);
        bool needed = system is null || !ElfWeakLink.LibStdCxxHasVersion(system);
        var state = ElfWeakLink.Inspect(File.ReadAllBytes(lib), lib);
        Assert.Equal(needed ? ElfWeakLinkState.Weak : ElfWeakLinkState.Strong, state);
    }

    [Fact]
    public void NonElfAndTruncatedFilesAreRejectedWithTheirName()
    {
        Assert.Contains("x.so: not an ELF file", Assert.Throws<InvalidDataException>(() => ElfWeakLink.Inspect(new byte[100], "x.so")).Message);
        var header = new byte[64];
        header[0] = 0x7f; header[1] = (byte)'E'; header[2] = (byte)'L'; header[3] = (byte)'F'; header[4] = 2; header[5] = 1;
        header[0x28] = 0xff; header[0x29] = 0xff; header[0x3A] = 64; header[0x3C] = 3;
        Assert.Contains("outside the file", Assert.Throws<InvalidDataException>(() => ElfWeakLink.Inspect(header, "t.so")).Message);
    }

    [Fact]
    public void VersionStringIsFoundOnlyAsAWholeString()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp["a"], [.. "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.321\0"u8]);
        File.WriteAllBytes(temp["b"], [.. "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.32\0"u8]);
        Assert.False(ElfWeakLink.LibStdCxxHasVersion(temp["a"]));
        Assert.True(ElfWeakLink.LibStdCxxHasVersion(temp["b"]));
    }
}
