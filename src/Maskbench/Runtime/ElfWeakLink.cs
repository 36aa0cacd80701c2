// One file compiled twice: into the Maskbench library (MASKBENCH_LIBRARY defined), where `doctor` inspects the
// loaded libLibTorchSharp.so, and by MSBuild's RoslynCodeTaskFactory (build/LibTorchSharpFix.targets), where the
// task at the bottom patches every output copy after the build. It must therefore stay netstandard2.0-compatible.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13 and needs `std::ios_base_library_init()`
// at version GLIBCXX_3.4.32. GCC 13's <iostream> only references that symbol to pull in the initialiser, it never
// calls it, so on systems whose libstdc++ stops at 3.4.30 (Debian 12, Ubuntu 22.04, RHEL 9) it is safe to make both
// the version need (VER_FLG_WEAK in .gnu.version_r, ELF gABI "Symbol Versioning") and the undefined symbol
// (STB_WEAK in .dynsym) weak. Two bytes change; nothing else in the file moves.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Maskbench.Runtime
{
    /// <summary>State of the two weak-link edits in one ELF file.</summary>
    public enum ElfWeakLinkState
    {
        /// <summary>The file does not need GLIBCXX_3.4.32 at all.</summary>
        NotNeeded,
        /// <summary>The file needs GLIBCXX_3.4.32 strongly (unpatched).</summary>
        Strong,
        /// <summary>Both the version need and the symbol are weak.</summary>
        Weak,
    }

    /// <summary>Reads and applies the GLIBCXX_3.4.32 weak-link edits in an x86-64 ELF shared object.</summary>
    public static class ElfWeakLink
    {
        public const string VersionName = "GLIBCXX_3.4.32";
        public const string SymbolName = "_ZSt21ios_base_library_initv";
        const ushort VerFlgWeak = 0x2;
        const uint ShtDynsym = 11;
        const uint ShtGnuVerneed = 0x6ffffffe;
        const byte StbWeak = 2;

        /// <summary>The two byte offsets of the edits, or -1 where absent.</summary>
        public struct Offsets
        {
            public long VersionFlags;
            public long SymbolInfo;
        }

        public static ElfWeakLinkState Inspect(byte[] elf, string fileName)
        {
            Offsets o = Locate(elf, fileName);
            if (o.VersionFlags < 0 && o.SymbolInfo < 0) return ElfWeakLinkState.NotNeeded;
            bool versionWeak = o.VersionFlags < 0 || (ReadU16(elf, o.VersionFlags) & VerFlgWeak) != 0;
            bool symbolWeak = o.SymbolInfo < 0 || (elf[o.SymbolInfo] >> 4) == StbWeak;
            return versionWeak && symbolWeak ? ElfWeakLinkState.Weak : ElfWeakLinkState.Strong;
        }

        /// <summary>Applies both edits in memory; returns false when nothing had to change.</summary>
        public static bool MakeWeak(byte[] elf, string fileName)
        {
            Offsets o = Locate(elf, fileName);
            bool changed = false;
            if (o.VersionFlags >= 0)
            {
                ushort flags = ReadU16(elf, o.VersionFlags);
                if ((flags & VerFlgWeak) == 0)
                {
                    flags |= VerFlgWeak;
                    elf[o.VersionFlags] = (byte)(flags & 0xff);
                    elf[o.VersionFlags + 1] = (byte)(flags >> 8);
                    changed = true;
                }
            }
            if (o.SymbolInfo >= 0 && (elf[o.SymbolInfo] >> 4) != StbWeak)
            {
                elf[o.SymbolInfo] = (byte)((StbWeak << 4) | (elf[o.SymbolInfo] & 0x0f));
                changed = true;
            }
            return changed;
        }

        /// <summary>Patches a file in place through a temporary copy and rename, then parses it back.</summary>
        public static ElfWeakLinkState PatchFile(string path)
        {
            byte[] elf = File.ReadAllBytes(path);
            if (!MakeWeak(elf, path)) return Inspect(elf, path);
            string tmp = path + ".maskbench-tmp";
            File.WriteAllBytes(tmp, elf);
            ElfWeakLinkState check = Inspect(File.ReadAllBytes(tmp), tmp);
            if (check != ElfWeakLinkState.Weak)
            {
                File.Delete(tmp);
                throw new InvalidDataException(path + ": the patched copy did not parse back as weak (" + check + ")");
            }
            // Replacing (not writing into) the file also breaks any hard link into the NuGet cache.
            File.Delete(path);
            File.Move(tmp, path);
            return check;
        }

        /// <summary>True when the given libstdc++ defines GLIBCXX_3.4.32 (its version-definition strings carry it).</summary>
        public static bool LibStdCxxHasVersion(string libstdcxxPath)
        {
            byte[] bytes = File.ReadAllBytes(libstdcxxPath);
            byte[] needle = Encoding.ASCII.GetBytes(VersionName + "\0");
            for (int i = 0; i + needle.Length <= bytes.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && bytes[i + j] == needle[j]) j++;
                if (j == needle.Length && (i == 0 || bytes[i - 1] == 0)) return true;
            }
            return false;
        }

        /// <summary>The libstdc++.so.6 the dynamic loader would most likely pick, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            string? ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld!.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(new[]
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib",
                "/usr/lib/aarch64-linux-gnu", "/usr/local/lib64", "/usr/local/lib",
            });
            foreach (string d in dirs)
            {
                string p = Path.Combine(d, "libstdc++.so.6");
                if (File.Exists(p)) return p;
            }
            return null;
        }

        public static Offsets Locate(byte[] elf, string fileName)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException(fileName + ": not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException(fileName + ": not a 64-bit little-endian ELF file");
            long shoff = (long)ReadU64(elf, 0x28);
            int shentsize = ReadU16(elf, 0x3A);
            int shnum = ReadU16(elf, 0x3C);
            if (shentsize < 64 || shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException(fileName + ": section header table lies outside the file");

            var result = new Offsets { VersionFlags = -1, SymbolInfo = -1 };
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                uint type = ReadU32(elf, sh + 4);
                long offset = (long)ReadU64(elf, sh + 24);
                long size = (long)ReadU64(elf, sh + 32);
                uint link = ReadU32(elf, sh + 40);
                uint info = ReadU32(elf, sh + 44);
                long entsize = (long)ReadU64(elf, sh + 56);
                if (type != ShtDynsym && type != ShtGnuVerneed) continue;
                CheckRange(elf, offset, size, fileName);
                long strtab = (long)ReadU64(elf, shoff + (long)link * shentsize + 24);
                long strsize = (long)ReadU64(elf, shoff + (long)link * shentsize + 32);
                CheckRange(elf, strtab, strsize, fileName);
                if (type == ShtGnuVerneed)
                    result.VersionFlags = FindVersionNeed(elf, offset, size, info, strtab, strsize, fileName);
                else
                    result.SymbolInfo = FindUndefinedSymbol(elf, offset, size, entsize == 0 ? 24 : entsize, strtab, strsize, fileName);
            }
            return result;
        }

        static long FindVersionNeed(byte[] elf, long start, long size, uint count, long strtab, long strsize, string fileName)
        {
            long vn = start;
            for (uint n = 0; n < count; n++)
            {
                CheckRange(elf, vn, 16, fileName);
                int cnt = ReadU16(elf, vn + 2);
                long aux = vn + ReadU32(elf, vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    CheckRange(elf, aux, 16, fileName);
                    if (ReadString(elf, strtab, strsize, ReadU32(elf, aux + 8)) == VersionName) return aux + 4;
                    uint nextAux = ReadU32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = ReadU32(elf, vn + 12);
                if (next == 0) break;
                vn += next;
                if (vn >= start + size) break;
            }
            return -1;
        }

        static long FindUndefinedSymbol(byte[] elf, long start, long size, long entsize, long strtab, long strsize, string fileName)
        {
            for (long s = start; s + entsize <= start + size; s += entsize)
            {
                ushort shndx = ReadU16(elf, s + 6);
                if (shndx != 0) continue;
                if (ReadString(elf, strtab, strsize, ReadU32(elf, s)) == SymbolName) return s + 4;
            }
            return -1;
        }

        static string ReadString(byte[] elf, long strtab, long strsize, uint index)
        {
            if (index >= strsize) return "";
            long p = strtab + index;
            long end = p;
            while (end < strtab + strsize && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)p, (int)(end - p));
        }

        static void CheckRange(byte[] elf, long offset, long size, string fileName)
        {
            if (offset < 0 || size < 0 || offset + size > elf.Length)
                throw new InvalidDataException(fileName + ": a section lies outside the file (truncated or corrupt ELF)");
        }

        static ushort ReadU16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));
        static uint ReadU32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        static ulong ReadU64(byte[] b, long o) => ReadU32(b, o) | ((ulong)ReadU32(b, o + 4) << 32);
    }
}

#if !MASKBENCH_LIBRARY
/// <summary>MSBuild task: makes GLIBCXX_3.4.32 weak in every libLibTorchSharp.so under the given folders.</summary>
public class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public string[] Folders { get; set; } = new string[0];

    public override bool Execute()
    {
        string? libstdcxx = Maskbench.Runtime.ElfWeakLink.FindSystemLibStdCxx();
        if (libstdcxx != null && Maskbench.Runtime.ElfWeakLink.LibStdCxxHasVersion(libstdcxx))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "maskbench: " + libstdcxx + " has GLIBCXX_3.4.32; libLibTorchSharp.so left as shipped");
            return true;
        }
        foreach (string folder in Folders)
        {
            if (!System.IO.Directory.Exists(folder)) continue;
            foreach (string lib in System.IO.Directory.GetFiles(folder, "libLibTorchSharp.so", System.IO.SearchOption.AllDirectories))
            {
                try
                {
                    var before = Maskbench.Runtime.ElfWeakLink.Inspect(System.IO.File.ReadAllBytes(lib), lib);
                    if (before != Maskbench.Runtime.ElfWeakLinkState.Strong) continue;
                    var after = Maskbench.Runtime.ElfWeakLink.PatchFile(lib);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "maskbench: made GLIBCXX_3.4.32 weak in " + lib + " (" + after + ")");
                }
                catch (System.Exception e)
                {
                    Log.LogError("maskbench: could not patch " + lib + ": " + e.Message);
                    return false;
                }
            }
        }
        return true;
    }
}
#endif
