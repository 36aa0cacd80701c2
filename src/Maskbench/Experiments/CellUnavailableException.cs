namespace Maskbench.Experiments;

/// <summary>A cell this build cannot compute (for example an attack it does not have); the grid goes on without it.</summary>
public sealed class CellUnavailableException(string message) : MaskbenchException(message);
