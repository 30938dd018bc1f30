"""Every label of the app in English and Chinese: one dict per language, the same keys in both
(a test checks). ``tr(lang, key, **values)`` looks a label up and fills in its ``{values}``."""

from __future__ import annotations

from typing import Any

LANG_NAMES: dict[str, str] = {"en": "English", "zh": "中文"}

TAB_KEYS: tuple[str, ...] = ("tab.graph", "tab.layers", "tab.compute", "tab.compare",
                             "tab.learn")

EN: dict[str, str] = {
    # page
    "title": "vizcnn — see inside convolutional networks",
    "subtitle": "Pick an architecture and an input shape: the model runs once on PyTorch's meta "
                "device (shapes only, no weights, no arithmetic) and every layer is recorded.",
    "tab.graph": "Graph",
    "tab.layers": "Layers",
    "tab.compute": "Compute",
    "tab.compare": "Compare",
    "tab.learn": "Learn",
    "tracing": "Tracing the model…",
    "rendering": "Laying out the graph with Graphviz…",
    "drawing": "Drawing the chart…",
    "no_trace": "Nothing to show yet: choose a model and an input it accepts (see above).",
    "bad_input": "This input does not fit the model: {error}",
    "hint_channels": "The model takes {channels}-channel input.",
    "hint_min_side": "The smallest square input it accepts is {side}×{side} "
                     "(input shape {shape}).",
    "hint_side_range": "In {mode} mode it accepts square inputs from {low}×{low} to "
                       "{high}×{high} only (e.g. input shape {shape}).",
    "hint_one_side": "In {mode} mode the only square input it accepts is {side}×{side} "
                     "(input shape {shape}).",
    "bad_model": "The model could not be loaded or built: {error}",
    "unexpected": "Something went wrong while drawing this part ({error}). The rest of the "
                  "app still works; try other settings.",
    "download": "Download",
    "download_html": "Download HTML",
    "summary": "Input **{shape}** · **{layers}** layers and ops · **{params}** parameters · "
               "**{macs}** MACs (multiply-accumulates) · **{flops}** FLOPs · {mode}",
    "key_idea": "Key idea:",
    "params_word": "params",
    "published": "{figures} at {size}×{size} — {source}",
    "published_title": "Published figures ({n})",
    # sidebar
    "language": "Language / 语言",
    "model": "Model",
    "source": "Source",
    "source.zoo": "Model zoo",
    "source.user": "Your model",
    "family": "Family",
    "variant": "Variant",
    "classes": "Number of classes",
    "mode": "Mode",
    "mode.eval": "eval",
    "mode.train": "train",
    "mode_help": "Train mode runs the layers that only exist in training, such as GoogLeNet's "
                 "auxiliary classifiers; dropout and batch norm change behaviour but not shapes.",
    "input": "Input shape",
    "preset": "Preset size",
    "custom": "custom",
    "batch": "Batch",
    "channels": "Channels",
    "height": "Height",
    "width": "Width",
    "opt.width_mult": "Width multiplier",
    "opt.width_mult.help": "Scales every layer's channels (MobileNet's α).",
    "opt.width": "Width multiplier",
    "opt.width.help": "Scales every layer's channels.",
    "opt.groups": "Groups (ShuffleNet g)",
    "opt.groups.help": "Groups of the 1×1 group convolutions; channel shuffle mixes them.",
    "opt.scale": "Scale factor",
    "opt.scale.help": "ShuffleNet's channel scale (0.5×, 1×, 1.5×, 2×).",
    "opt.se": "Squeeze-and-excitation",
    "opt.se.help": "Add an SE block (channel attention) to every residual block.",
    "opt.se_reduction": "SE reduction ratio",
    "opt.se_reduction.help": "Channels are divided by this ratio inside the SE bottleneck.",
    "opt.stride_on": "Downsampling stride on",
    "opt.stride_on.help": "Put the stride-2 of a bottleneck on its 3×3 conv (torchvision, "
                          "'ResNet v1.5') or on the first 1×1 conv (the original paper).",
    "opt.needs_se": "Only matters with squeeze-and-excitation switched on.",
    "opt.aux_logits": "Auxiliary classifiers",
    "opt.aux_logits.help": "Build GoogLeNet's two auxiliary heads (they run in train mode).",
    "opt.transform_input": "Transform input",
    "opt.transform_input.help": "Re-normalise the input as torchvision's GoogLeNet does.",
    "user_spec": "module:factory",
    "user_spec_help": "A Python file or an importable module and a function returning an "
                      "nn.Module, e.g. my_models.py:build or mypackage.nets:resnet_tiny.",
    "user_disabled_short": "Importing your own code is switched off on this server.",
    "user_disabled": "“Your model” imports and runs Python code on the server, so it is off "
                     "unless the person running the app opts in. Start the app with:",
    "user_secret": "or put this line in .streamlit/secrets.toml:",
    "user_intro": "Enter module:factory in the sidebar — a .py file path or an importable "
                  "module, and a function that returns an nn.Module. For example:",
    "user_title": "Your model",
    # model files (vizcnn.ui.upload)
    "upload": "Or open a model file",
    "upload_help": "An ONNX graph (.onnx) to look inside, or a checkpoint (.safetensors, or "
                   "a state_dict .pth/.pt) to find the zoo architecture it fits.",
    "upload_limit": "Up to {mb} MB. Files are read as data and never run: no code in them is "
                    "executed and an .onnx file's external weights are not needed.",
    "upload_reading": "Reading the file…",
    "upload_bad": "This file cannot be used: {error}",
    "upload_fits": "This checkpoint fits **{model}**.",
    "upload_open": "Open it in the model zoo",
    "upload_no_fit": "This checkpoint fits no zoo model.\n\n{why}",
    "upload_title": "Model file",
    "note_onnx": "Read from an ONNX file, never run. ONNX does not mark trainable tensors, "
                 "so trainable = params; BatchNorm has no num_batches_tracked buffer.",
    "note_bn_folded": "The exporter folded BatchNorm into {n} convolution(s): their scale and "
                      "shift are inside the conv weights and bias, so no BatchNorm params, "
                      "buffers or FLOPs are left.",
    # graph tab
    "g_depth": "Depth",
    "g_depth_help": "Modules nested deeper than this are drawn as single boxes.",
    "g_depth_all": "{depth} (all layers)",
    "g_direction": "Direction",
    "g_direction.TB": "top → bottom",
    "g_direction.LR": "left → right",
    "g_zoom": "Zoom",
    "g_fit": "fit width",
    "g_expand": "Open blocks",
    "g_expand_help": "Open chosen blocks layer by layer (e.g. one Inception block branch by "
                     "branch) while the others stay closed.",
    "g_expand_placeholder": "choose blocks to open",
    "g_fold": "Fold repeats",
    "g_fold_help": "Draw a run of identical blocks once, marked ×N.",
    "g_shapes": "Shapes on arrows",
    "g_key_blocks": "Highlight key blocks",
    "g_key_blocks_help": "Outline the blocks that carry the paper's key idea (★).",
    "g_legend": "Legend in the diagram",
    "g_caption": "Arrows carry tensor shapes without the batch (channels×height×width). "
                 "Dashed blue arrows are residual shortcuts. Hover a box for its details; "
                 "scroll inside the frame for big graphs.",
    "kind.conv": "dense conv",
    "kind.pointwise_conv": "pointwise 1×1 conv",
    "kind.depthwise_conv": "depthwise conv",
    "kind.grouped_conv": "grouped conv",
    "kind.norm": "normalisation",
    "kind.activation": "activation",
    "kind.pool": "pooling",
    "kind.linear": "linear / matmul",
    "kind.add": "add / mul / concat / split",
    "kind.reshape": "reshape / channel shuffle",
    "kind.io": "input / output",
    "kind.dropout": "dropout / other",
    "kind.block": "collapsed block",
    # layers tab
    "total.params": "Parameters",
    "total.trainable": "Trainable",
    "total.buffers": "Buffers (BN statistics)",
    "total.macs": "MACs (multiply-accumulates)",
    "total.flops": "FLOPs (2 × MACs + elementwise)",
    "macs_vs_flops": "MACs = multiply-accumulates of conv, linear and matmul layers (what most "
                     "CNN papers call “FLOPs”). FLOPs = 2 × MACs plus the elementwise work "
                     "(bias, batch norm, activations, adds, pooling). The two are different "
                     "numbers and always labelled.",
    "uncounted": "Ops without a cost formula (not counted): {ops}",
    "cpu_fallback": "This model needed real values, so it was traced once on the CPU: {reason}",
    "l_filter": "Filter by text",
    "l_filter_placeholder": "path or type, e.g. conv or layer3",
    "l_kinds": "Op kinds",
    "l_kinds_placeholder": "all kinds",
    "l_depth": "Depth",
    "l_depth_help": "Collapse the table to modules at this depth (their rows sum what is "
                    "inside).",
    "l_depth_all": "all layers",
    "l_count": "{shown} of {total} rows",
    "col.path": "path",
    "col.type": "type",
    "col.kind": "kind",
    "col.depth": "depth",
    "col.input_shape": "input shape",
    "col.output_shape": "output shape",
    "col.kernel": "kernel",
    "col.stride": "stride",
    "col.padding": "padding",
    "col.groups": "groups",
    "col.receptive_field": "receptive field",
    "col.effective_stride": "effective stride",
    "col.macs": "MACs",
    "col.flops": "FLOPs",
    "col.params": "params",
    "col.activation_bytes": "activation bytes",
    "col.model": "model",
    "col.family": "family",
    "col.side": "input side",
    "col.peak_activation_bytes": "peak activations (bytes)",
    "col.total_activation_bytes": "all activations (bytes)",
    "col.error": "rejected because",
    # compute tab
    "c_metric": "Quantity",
    "metric.macs": "MACs (multiply-accumulates)",
    "metric.flops": "FLOPs (2 × MACs + elementwise)",
    "metric.params": "parameters",
    "metric.activation_bytes": "activation memory",
    "c_style": "Hierarchy chart",
    "style.treemap": "treemap",
    "style.sunburst": "sunburst",
    "c_top": "Per-layer chart",
    "c_top_all": "every layer, in order",
    "c_top_n": "the {n} largest",
    "chart.hierarchy": "By module",
    "chart.hierarchy.help": "Boxes nested like the modules; click one to zoom in.",
    "chart.layers": "Per layer",
    "chart.layers.help": "Each bar is one layer, coloured by op category; stages are shaded.",
    "chart.cumulative": "Cumulative along depth",
    "chart.cumulative.help": "Early high-resolution layers take the compute; late wide layers "
                             "and the classifier take the parameters.",
    "chart.stages": "By stage",
    "chart.stages.help": "One bar per stage (output resolution), stacked by op category.",
    "chart.kinds": "By op kind",
    "chart.kinds.help": "Dense, grouped, depthwise and pointwise convolutions, SE blocks, "
                        "linear layers and the rest.",
    # compare tab
    "cmp_title": "Architectures side by side",
    "cmp_help": "Each model at the same square input (with its own number of input channels).",
    "cmp_models": "Models",
    "cmp_side": "Input side",
    "cmp_pick": "Choose at least one model.",
    "sw_title": "Resolution sweep",
    "sw_help": "{model} traced at every square side in the range (batch {batch}, {channels} "
               "channels): compute and activations grow with the area, parameters stay put.",
    "sw_range": "Input sides",
    "sw_step": "Step",
    "sw_run": "Run the sweep ({n} sizes)",
    "sw_running": "Tracing size {done} of {total}…",
    "sw_not_run": "Press the button to run the sweep.",
    "sw_stale": "These results are for earlier settings; run the sweep again to update them.",
    "sw_rejected": "Rejected sizes: {sizes}. First reason: {error}",
}

ZH: dict[str, str] = {
    # page
    "title": "vizcnn —— 看清卷积神经网络的内部",
    "subtitle": "选择一个网络结构和输入尺寸：模型在 PyTorch 的 meta 设备上运行一次（只算形状，"
                "不分配权重，不做运算），记录下每一层。",
    "tab.graph": "结构图",
    "tab.layers": "各层",
    "tab.compute": "计算量",
    "tab.compare": "对比",
    "tab.learn": "学习",
    "tracing": "正在追踪模型…",
    "rendering": "正在用 Graphviz 排版结构图…",
    "drawing": "正在绘制图表…",
    "no_trace": "暂无内容：请选择模型和它能接受的输入（见上方）。",
    "bad_input": "该输入与模型不匹配：{error}",
    "hint_channels": "该模型需要 {channels} 通道的输入。",
    "hint_min_side": "它能接受的最小正方形输入是 {side}×{side}（输入形状 {shape}）。",
    "hint_side_range": "在{mode}模式下，它只接受 {low}×{low} 到 {high}×{high} 的正方形输入"
                       "（例如输入形状 {shape}）。",
    "hint_one_side": "在{mode}模式下，它只接受 {side}×{side} 这一种正方形输入（输入形状 {shape}）。",
    "bad_model": "无法加载或构建模型：{error}",
    "unexpected": "绘制这一部分时出错（{error}）。应用的其他部分仍可使用，请换个设置试试。",
    "download": "下载",
    "download_html": "下载 HTML",
    "summary": "输入 **{shape}** · **{layers}** 个层和操作 · **{params}** 个参数 · "
               "**{macs}** MACs（乘加次数） · **{flops}** FLOPs · {mode}",
    "key_idea": "核心思想：",
    "params_word": "参数",
    "published": "{figures}，输入 {size}×{size} —— {source}",
    "published_title": "论文/官方公布的数据（{n} 条）",
    # sidebar
    "language": "Language / 语言",
    "model": "模型",
    "source": "来源",
    "source.zoo": "模型库",
    "source.user": "你的模型",
    "family": "系列",
    "variant": "变体",
    "classes": "类别数",
    "mode": "模式",
    "mode.eval": "推理（eval）",
    "mode.train": "训练（train）",
    "mode_help": "训练模式会运行只在训练时存在的层，例如 GoogLeNet 的辅助分类器；"
                 "dropout 和批归一化的行为会变，但形状不变。",
    "input": "输入形状",
    "preset": "预设尺寸",
    "custom": "自定义",
    "batch": "批大小",
    "channels": "通道数",
    "height": "高",
    "width": "宽",
    "opt.width_mult": "宽度系数",
    "opt.width_mult.help": "按比例缩放每一层的通道数（MobileNet 的 α）。",
    "opt.width": "宽度系数",
    "opt.width.help": "按比例缩放每一层的通道数。",
    "opt.groups": "分组数（ShuffleNet 的 g）",
    "opt.groups.help": "1×1 分组卷积的组数；通道重排（channel shuffle）让各组交换信息。",
    "opt.scale": "缩放系数",
    "opt.scale.help": "ShuffleNet 的通道缩放（0.5×、1×、1.5×、2×）。",
    "opt.se": "SE 注意力（挤压-激励）",
    "opt.se.help": "在每个残差块中加入 SE 模块（通道注意力）。",
    "opt.se_reduction": "SE 压缩比",
    "opt.se_reduction.help": "SE 瓶颈内部把通道数除以这个比例。",
    "opt.stride_on": "下采样步长放在",
    "opt.stride_on.help": "瓶颈块的步长 2 放在 3×3 卷积上（torchvision，“ResNet v1.5”）"
                          "还是放在第一个 1×1 卷积上（原论文）。",
    "opt.needs_se": "只有打开 SE 注意力后才起作用。",
    "opt.aux_logits": "辅助分类器",
    "opt.aux_logits.help": "构建 GoogLeNet 的两个辅助分类头（在训练模式下运行）。",
    "opt.transform_input": "输入变换",
    "opt.transform_input.help": "像 torchvision 的 GoogLeNet 那样重新归一化输入。",
    "user_spec": "模块:工厂函数",
    "user_spec_help": "一个 Python 文件或可导入的模块，加上一个返回 nn.Module 的函数，"
                      "例如 my_models.py:build 或 mypackage.nets:resnet_tiny。",
    "user_disabled_short": "本服务器未开启导入你自己的代码。",
    "user_disabled": "“你的模型”会在服务器上导入并运行 Python 代码，因此默认关闭，"
                     "需要运行应用的人明确开启。这样启动应用：",
    "user_secret": "或者在 .streamlit/secrets.toml 中加入这一行：",
    "user_intro": "在侧边栏输入 模块:工厂函数 —— 一个 .py 文件路径或可导入的模块，"
                  "以及一个返回 nn.Module 的函数。例如：",
    "user_title": "你的模型",
    # model files (vizcnn.ui.upload)
    "upload": "或者打开一个模型文件",
    "upload_help": "ONNX 计算图（.onnx）可以直接查看内部结构；检查点（.safetensors，或保存 "
                   "state_dict 的 .pth/.pt）会找出它对应的模型库架构。",
    "upload_limit": "最大 {mb} MB。文件只作为数据读取，绝不运行：其中的代码不会被执行，"
                    ".onnx 文件的外部权重文件也不需要。",
    "upload_reading": "正在读取文件…",
    "upload_bad": "无法使用这个文件：{error}",
    "upload_fits": "这个检查点对应 **{model}**。",
    "upload_open": "在模型库中打开",
    "upload_no_fit": "这个检查点不对应模型库中的任何模型。\n\n{why}",
    "upload_title": "模型文件",
    "note_onnx": "从 ONNX 文件读取，绝不运行。ONNX 不标记可训练张量，因此可训练参数 = 参数；"
                 "BatchNorm 没有 num_batches_tracked 缓冲区。",
    "note_bn_folded": "导出器已把 BatchNorm 折叠进 {n} 个卷积：其缩放和平移并入卷积的权重和偏置，"
                      "因此不再有 BatchNorm 的参数、缓冲区或 FLOPs。",
    # graph tab
    "g_depth": "深度",
    "g_depth_help": "嵌套比这更深的模块画成一个方框。",
    "g_depth_all": "{depth}（全部层）",
    "g_direction": "方向",
    "g_direction.TB": "从上到下",
    "g_direction.LR": "从左到右",
    "g_zoom": "缩放",
    "g_fit": "适应宽度",
    "g_expand": "展开模块",
    "g_expand_help": "逐层展开选中的模块（例如把一个 Inception 模块按分支展开），其他模块保持折叠。",
    "g_expand_placeholder": "选择要展开的模块",
    "g_fold": "折叠重复块",
    "g_fold_help": "一串相同的块只画一次，并标记 ×N。",
    "g_shapes": "箭头上显示形状",
    "g_key_blocks": "突出关键模块",
    "g_key_blocks_help": "给体现论文核心思想的模块加上轮廓（★）。",
    "g_legend": "图中显示图例",
    "g_caption": "箭头上的张量形状不含批大小（通道×高×宽）。蓝色虚线箭头是残差捷径。"
                 "鼠标悬停在方框上可查看详情；大图可在框内滚动。",
    "kind.conv": "普通卷积",
    "kind.pointwise_conv": "逐点 1×1 卷积",
    "kind.depthwise_conv": "深度（逐通道）卷积",
    "kind.grouped_conv": "分组卷积",
    "kind.norm": "归一化",
    "kind.activation": "激活函数",
    "kind.pool": "池化",
    "kind.linear": "全连接 / 矩阵乘",
    "kind.add": "相加 / 相乘 / 拼接 / 拆分",
    "kind.reshape": "变形 / 通道重排",
    "kind.io": "输入 / 输出",
    "kind.dropout": "dropout / 其他",
    "kind.block": "折叠的模块",
    # layers tab
    "total.params": "参数量",
    "total.trainable": "可训练参数",
    "total.buffers": "缓冲区（BN 统计量）",
    "total.macs": "MACs（乘加次数）",
    "total.flops": "FLOPs（2 × MACs + 逐元素运算）",
    "macs_vs_flops": "MACs = 卷积、全连接和矩阵乘的乘加次数（多数 CNN 论文称之为“FLOPs”）。"
                     "FLOPs = 2 × MACs，再加上逐元素运算（偏置、批归一化、激活、相加、池化）。"
                     "两者数值不同，本应用始终分别标注。",
    "uncounted": "没有计算公式的操作（未计入）：{ops}",
    "cpu_fallback": "该模型需要真实数值，因此在 CPU 上追踪了一次：{reason}",
    "l_filter": "按文字筛选",
    "l_filter_placeholder": "路径或类型，例如 conv 或 layer3",
    "l_kinds": "操作类型",
    "l_kinds_placeholder": "全部类型",
    "l_depth": "深度",
    "l_depth_help": "把表格折叠到这一深度的模块（每行是其内部的合计）。",
    "l_depth_all": "全部层",
    "l_count": "显示 {shown} / {total} 行",
    "col.path": "路径",
    "col.type": "类型",
    "col.kind": "操作类别",
    "col.depth": "深度",
    "col.input_shape": "输入形状",
    "col.output_shape": "输出形状",
    "col.kernel": "卷积核",
    "col.stride": "步长",
    "col.padding": "填充",
    "col.groups": "分组",
    "col.receptive_field": "感受野",
    "col.effective_stride": "等效步长",
    "col.macs": "MACs",
    "col.flops": "FLOPs",
    "col.params": "参数",
    "col.activation_bytes": "激活字节数",
    "col.model": "模型",
    "col.family": "系列",
    "col.side": "输入边长",
    "col.peak_activation_bytes": "激活峰值（字节）",
    "col.total_activation_bytes": "全部激活（字节）",
    "col.error": "不接受的原因",
    # compute tab
    "c_metric": "指标",
    "metric.macs": "MACs（乘加次数）",
    "metric.flops": "FLOPs（2 × MACs + 逐元素运算）",
    "metric.params": "参数量",
    "metric.activation_bytes": "激活内存",
    "c_style": "层级图",
    "style.treemap": "矩形树图",
    "style.sunburst": "旭日图",
    "c_top": "逐层图",
    "c_top_all": "全部层，按执行顺序",
    "c_top_n": "最大的 {n} 层",
    "chart.hierarchy": "按模块",
    "chart.hierarchy.help": "方框按模块嵌套；点击可放大。",
    "chart.layers": "逐层",
    "chart.layers.help": "每根柱子是一层，颜色表示操作类别；阴影区分各阶段。",
    "chart.cumulative": "沿深度累计",
    "chart.cumulative.help": "前面高分辨率的层占计算量，后面通道多的层和分类器占参数量。",
    "chart.stages": "按阶段",
    "chart.stages.help": "每个阶段（输出分辨率）一根柱子，按操作类别堆叠。",
    "chart.kinds": "按操作类型",
    "chart.kinds.help": "普通、分组、深度、逐点卷积，SE 模块，全连接层以及其他。",
    # compare tab
    "cmp_title": "网络结构并排对比",
    "cmp_help": "每个模型使用相同的正方形输入（通道数取各自的输入通道数）。",
    "cmp_models": "模型",
    "cmp_side": "输入边长",
    "cmp_pick": "请至少选择一个模型。",
    "sw_title": "分辨率扫描",
    "sw_help": "{model} 在范围内的每个正方形边长上各追踪一次（批大小 {batch}，{channels} 通道）："
               "计算量和激活随面积增长，参数量不变。",
    "sw_range": "输入边长",
    "sw_step": "步长",
    "sw_run": "开始扫描（{n} 个尺寸）",
    "sw_running": "正在追踪第 {done} / {total} 个尺寸…",
    "sw_not_run": "点击按钮开始扫描。",
    "sw_stale": "这是之前设置下的结果；重新扫描以更新。",
    "sw_rejected": "不接受的尺寸：{sizes}。第一个原因：{error}",
}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def tr(lang: str, key: str, default: str | None = None, **values: Any) -> str:
    """The label ``key`` in ``lang`` with ``values`` filled in.

    A key missing from the table falls back to ``default`` (for labels that come with the
    data, such as a model option's help) and then to the English label.
    """
    table = STRINGS.get(lang, EN)
    text = table.get(key)
    if text is None:
        text = default if default is not None else EN.get(key, key)
    return text.format(**values) if values else text


def tab_labels(lang: str) -> list[str]:
    """The tab titles in ``lang``, in page order."""
    return [tr(lang, key) for key in TAB_KEYS]
