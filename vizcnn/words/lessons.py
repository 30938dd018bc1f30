"""Every explanation of the Learn tab, in English and in Chinese.

The Chinese is written for readers of the seed notes and uses their words: 感受野, 通道注意力,
深度可分离卷积, 逐点卷积, 倒残差, 纺锤, 沙漏, 通道混洗, 恒等映射, 降维/升维. Templates take
numbers as ``str.format`` fields; both languages have the same keys and the same fields (the
tests check it), so switching language never loses a number. Looked up with
:func:`vizcnn.words.tr`.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # tab
    "learn_title": "Learn: the ideas inside {model}",
    "error_section": "This part cannot be shown: {message}",
    # labels
    "label_params": "Parameters",
    "label_macs": "MACs",
    "label_flops": "FLOPs",
    "label_activation_bytes": "Activation memory (bytes)",
    "check_ok": "✓ equals the trace",
    "check_mismatch": "✗ differs from the trace",
    # worked formulas
    "sec_formula": "Worked formula for one layer",
    "formula_intro": (
        "Pick a convolution, pooling or fully connected layer: its output size and cost "
        "formulas are filled in with the layer's real numbers and checked against the trace. "
        "MACs are multiply-accumulates (what most papers call FLOPs); FLOPs = 2 × MACs plus "
        "element-wise work."),
    "formula_none": "This model has no convolution, pooling or linear layer to work through.",
    "formula_pick": "Layer",
    "formula_layer": "{node} ({type}): {input} → {output}",
    "formula_out_size": "Output size per spatial axis:",
    "formula_floor": "out = ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1",
    "formula_ceil": "out = ⌈(in + 2p − d(k − 1) − 1) / s⌉ + 1 (ceil_mode)",
    "formula_ceil_corrected": (
        "ceil_mode correction: the last window would start at {start} ≥ in + p = {limit}, "
        "inside the right padding only, so PyTorch drops it (out − 1)."),
    "formula_seed_note": (
        "With dilation d = 1 this is the seed notes' OUT = (IN − F + 2P)/S + 1, rounded down "
        "(F is the kernel size k)."),
    "formula_pool_no_macs": (
        "Pooling multiplies nothing, so it has no MACs; its FLOPs count one operation per "
        "window element per output (adaptive: per input element)."),
    # VGG
    "sec_vgg": "Stacked 3×3 convolutions instead of large kernels (VGG)",
    "vgg_intro": (
        "Two stacked 3×3 convolutions see a 5×5 window and three see 7×7, like one large "
        "kernel, but with fewer weights and a ReLU after each layer. Both versions below are "
        "built and traced (C → C channels, no bias)."),
    "vgg_channels": "Channels C",
    "vgg_alt": "{layers} × {kernel}×{kernel} conv",
    "vgg_hand_check": (
        "**{n} × 3×3** has {small}·C² weights ({params}) against {big}·C² ({params_big}) for "
        "**one {k}×{k}**: {saving} parameters, same receptive field."),
    "vgg_setting": "Input: 1×{channels}×{size}×{size}.",
    "vgg_model_stacks": "The {count} stacks of 3×3 convolutions in this model:",
    "col_alternative": "Alternative",
    "col_rf": "Receptive field",
    "col_relus": "ReLUs",
    "col_per_c2": "Params / C²",
    "col_stack": "Stack",
    "col_layers": "Layers",
    "col_channels": "Channels",
    "col_size": "Size",
    "col_window": "Window of the stack",
    "col_rf_image": "Receptive field in the image",
    # Inception
    "sec_inception": "Inception blocks and 1×1 reductions (GoogLeNet)",
    "inception_intro": (
        "Each Inception block runs kernels of several sizes side by side and concatenates "
        "them on channels, fusing features of several scales. 1×1 convolutions (a fully "
        "connected layer across channels) shrink the channels before the larger kernels; the "
        "table compares each block with the same block built without them."),
    "inception_none": "No Inception block ran in this trace.",
    "inception_pick": "Inception block",
    "inception_total": (
        "The {count} Inception blocks need {macs} MACs; without their 1×1 reductions they "
        "would need {without} ({factor}×)."),
    "inception_saving": (
        "{block}: its {reductions} 1×1 reductions cut the MACs from {without} to {macs} "
        "({factor}× less) and the conv weights from {params_without} to {params}."),
    "col_block": "Block",
    "col_macs_without": "MACs without 1×1 reductions",
    "col_factor": "× saved",
    "col_branch": "Branch",
    "col_out_channels": "Output channels",
    "col_share": "Share of block MACs",
    # residual
    "sec_residual": "Residual learning: identity mappings and shortcuts (ResNet)",
    "residual_intro": (
        "A residual block outputs F(x) + x. If the residual F is 0 the block is an identity "
        "mapping, so extra depth cannot make the network worse, and the gradient flows back "
        "through the shortcut. When a block changes the shape, the shortcut is a projection "
        "instead of the identity: a 1×1 conv, with stride 2 where the size halves."),
    "residual_none": "No residual block ran in this trace.",
    "residual_counts": (
        "{total} residual blocks: {identity} with an identity shortcut, {projection} with a "
        "projection, {pooled} with an average-pooled shortcut concatenated to the branch, "
        "{none} without a shortcut."),
    "col_type": "Type",
    "col_shortcut": "Shortcut",
    "col_profile": "Shape",
    "shortcut_identity": "identity",
    "shortcut_projection": "projection",
    "shortcut_none": "none",
    "shortcut_pooled": "average pool, concatenated",
    "profile_hourglass": "hourglass",
    "profile_spindle": "spindle",
    "profile_flat": "flat",
    "profile_intro": (
        "Channels along the main branch, drawn as a band: ResNet's bottleneck reduces then "
        "expands (an hourglass), MobileNetV2's inverted residual expands then reduces (a "
        "spindle) — exactly opposite."),
    "profile_title": "{profile}: {block}",
    "profile_title_contrast": "{profile}: {model} · {block}",
    "profile_contrast_tag": "(another model, for contrast)",
    "profile_contrast_note": (
        "{model} has no {profile} block, so the chart sets {other}'s {block} beside it for "
        "contrast; it is marked as another model's in its title."),
    "profile_axis": "channels (band width)",
    # SE
    "sec_se": "SE: channel attention that keeps the shape (SENet)",
    "se_intro": (
        "An SE block squeezes every channel to one number (global average pooling), passes "
        "them through two fully connected layers (reduce by r, ReLU, expand, sigmoid) to get "
        "one weight per channel, and multiplies the input by those weights: channel "
        "attention. Its output has the input's shape, so it fits anywhere in a network."),
    "se_pick": "SE block",
    "se_input": "input",
    "se_none": "This model has no SE blocks as built; the cost of adding them:",
    "se_walk": "Shapes through the block: {shapes}",
    "se_numbers": "c = {channels} channels, reduced to c/r = {hidden} (r = {reduction}).",
    "se_keeps_shape": "The output shape equals the input shape ✓",
    "se_changes_shape": "The output shape differs from the input shape.",
    "col_step": "Step",
    "col_op": "Op",
    "col_shape": "Shape",
    "col_seed": "In the seed's letters",
    "se_cost_option": (
        "{model} with SE ({blocks} blocks): {params} parameters against {params_without} "
        "without ({params_delta}, {params_pct}); {macs} MACs against {macs_without} "
        "({macs_delta}, {macs_pct})."),
    "se_cost_removed": (
        "Its {blocks} SE blocks cost {params_delta} parameters ({params_pct}: {params} against "
        "{params_without} with each SE replaced by an identity) and {macs_delta} MACs "
        "({macs_pct}: {macs} against {macs_without})."),
    # depthwise
    "sec_depthwise": "Depthwise separable convolution (MobileNet)",
    "depthwise_intro": (
        "A standard convolution extracts and combines features in one step, every kernel "
        "spanning all input channels. A depthwise separable convolution splits it: a "
        "depthwise convolution filters each input channel with its own kernel, then a "
        "pointwise (1×1) convolution combines the channels. Both are traced below for a real "
        "layer of this model."),
    "depthwise_none": "This model has no depthwise convolution followed by a 1×1 one.",
    "depthwise_pick": "Depthwise → 1×1 layer",
    "depthwise_grouped": (
        "Here the 1×1 conv after the depthwise one is itself grouped (g = {groups}, as in "
        "ShuffleNet), so it costs 1/g of a pointwise conv and the ratio becomes "
        "1/N + 1/(g·k²)."),
    "depthwise_costs": (
        "Input {shape}, M = {m} → N = {n} channels, k = {k}: a standard conv needs "
        "{standard} MACs; depthwise {dw} + pointwise {pw} = {separable} MACs."),
    "depthwise_equal": (
        "The measured ratio equals the formula exactly: {speedup}× fewer MACs."),
    "depthwise_differ": "The measured ratio differs from the formula ({speedup}× fewer MACs).",
    # shuffle
    "sec_shuffle": "Channel shuffle (ShuffleNet)",
    "shuffle_intro": (
        "A grouped convolution only mixes channels inside each group. The channel shuffle "
        "reshapes the channels to (g, C/g), transposes and flattens them, so the next grouped "
        "convolution's every group receives channels from every previous group. The "
        "picture runs the model's own shuffle layer on the channel indices."),
    "shuffle_model": (
        "This model has {count} channel shuffles; the first mixes {channels} channels in "
        "{groups} groups. The picture draws the same shuffle with fewer channels per group "
        "(at least two, so the channels really move) to keep every line readable."),
    "shuffle_none": "No channel shuffle ran in this trace.",
    "shuffle_groups": "Groups g",
    "shuffle_channels": "Channels C",
    "shuffle_group": "group {group}",
    "shuffle_title": "Channel shuffle: C = {channels}, g = {groups}",
    "shuffle_input": "input channel",
    "shuffle_output": "output position",
    "shuffle_perm": "Output position j takes input channel: [{perm}]",
    # ghost
    "sec_ghost": "Ghost modules (GhostNet)",
    "ghost_intro": (
        "Many feature maps of a trained network are near-copies (ghosts) of others. A Ghost "
        "module makes only m = n/s of its n output maps with an ordinary convolution and "
        "derives the rest with a cheap depthwise convolution, saving about s× the compute of "
        "a plain convolution with the same output."),
    "ghost_none": "No Ghost module ran in this trace.",
    "col_ghost_macs": "Ghost MACs",
    "col_plain_macs": "Plain conv MACs",
    "col_formula": "Formula s·c·k²/(c·k² + (s−1)·d²)",
    "ghost_total": (
        "The {count} Ghost modules need {ghost} MACs; plain convolutions with the same "
        "outputs would need {plain} ({factor}×)."),
    "ghost_ratio": "Ratio s",
    "ghost_line": (
        "c = {c} → n = {n} channels at {size}×{size}, s = {s} (m = {m} intrinsic maps): plain "
        "conv {plain} MACs, Ghost module {ghost} MACs — {factor}× fewer MACs, {params_factor}× "
        "fewer weights; the paper's formula gives {formula}."),
    # what-if
    "sec_whatif": "What if…",
    "whatif_intro": (
        "Change a knob the papers turn and compare with the model as set in the sidebar, at "
        "this input: each scenario is built and traced."),
    "knob_resolution": "Input resolution",
    "knob_width": "Width multiplier",
    "knob_groups": "Groups g",
    "knob_se": "Add SE blocks",
    "knob_se_ratio": "SE reduction ratio r",
    "col_metric": "Quantity",
    "col_default": "Now",
    "col_changed": "Changed",
    "col_delta": "Change",
    "col_delta_pct": "Change %",
    "whatif_setting": "Current input {base}; changed input {changed}; options: {options}.",
    "whatif_apply": "Show this in every tab",
    "whatif_apply_help": "Set the sidebar to these options, so the graph, tables and charts "
                         "show the changed model.",
}

ZH: dict[str, str] = {
    # tab
    "learn_title": "学习：{model} 的设计思想",
    "error_section": "这一部分无法显示：{message}",
    # labels
    "label_params": "参数量",
    "label_macs": "乘加次数 (MACs)",
    "label_flops": "浮点运算数 (FLOPs)",
    "label_activation_bytes": "激活内存（字节）",
    "check_ok": "✓ 与追踪结果一致",
    "check_mismatch": "✗ 与追踪结果不一致",
    # worked formulas
    "sec_formula": "逐层公式推导",
    "formula_intro": (
        "选一个卷积层、池化层或全连接层：把这一层的真实数字代入输出尺寸和计算量公式，"
        "并与追踪结果核对。MACs 指乘加次数（多数论文称为 FLOPs）；FLOPs = 2 × MACs 再加上逐元素运算。"),
    "formula_none": "这个模型没有可以推导的卷积层、池化层或全连接层。",
    "formula_pick": "选择层",
    "formula_layer": "{node}（{type}）：{input} → {output}",
    "formula_out_size": "每个空间维度的输出尺寸：",
    "formula_floor": "out = ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1",
    "formula_ceil": "out = ⌈(in + 2p − d(k − 1) − 1) / s⌉ + 1（ceil_mode 向上取整）",
    "formula_ceil_corrected": (
        "ceil_mode 修正：最后一个窗口的起点 {start} ≥ in + p = {limit}，只落在右侧填充里，"
        "PyTorch 会舍去它（out − 1）。"),
    "formula_seed_note": (
        "当膨胀率 d = 1 时，这就是笔记里的卷积输出公式 OUT_size = (IN_size − F_size + 2P)/S + 1，"
        "结果向下取整（F_size 即卷积核大小 k）。"),
    "formula_pool_no_macs": (
        "池化层不做乘法，所以没有 MACs；它的 FLOPs 按每个输出在窗口内的每个元素算一次"
        "（自适应池化按每个输入元素算一次）。"),
    # VGG
    "sec_vgg": "用连续的 3×3 卷积核代替大卷积核（VGG）",
    "vgg_intro": (
        "2 个 3×3 卷积核堆叠的感受野是 5×5，3 个堆叠是 7×7，和一个大卷积核相同，"
        "但参数更少，而且每层后面都多一次 ReLU 非线性。下面两种写法都真实搭建并追踪"
        "（C → C 通道，无偏置）。"),
    "vgg_channels": "通道数 C",
    "vgg_alt": "{layers} 个 {kernel}×{kernel} 卷积",
    "vgg_hand_check": (
        "**{n} 个 3×3** 共 {small}·C² 个权重（{params}），**1 个 {k}×{k}** 是 {big}·C²"
        "（{params_big}）：参数量 {saving}，感受野相同。"),
    "vgg_setting": "输入：1×{channels}×{size}×{size}。",
    "vgg_model_stacks": "这个模型中连续 3×3 卷积的 {count} 个堆叠：",
    "col_alternative": "写法",
    "col_rf": "感受野",
    "col_relus": "ReLU 个数",
    "col_per_c2": "参数量 / C²",
    "col_stack": "堆叠",
    "col_layers": "层",
    "col_channels": "通道数",
    "col_size": "尺寸",
    "col_window": "堆叠自身的感受野",
    "col_rf_image": "在原图上的感受野",
    # Inception
    "sec_inception": "Inception 模块与 1×1 卷积降维（GoogLeNet）",
    "inception_intro": (
        "Inception 模块使用多个尺寸的卷积核并行计算，再在通道维拼接，融合了不同尺度的特征信息。"
        "1×1 卷积核（可以看作通道维度的全连接）先降维，再做大卷积核，降低了计算量；"
        "下表把每个模块与去掉这些 1×1 降维后的同一模块作对比。"),
    "inception_none": "这次追踪中没有运行任何 Inception 模块。",
    "inception_pick": "Inception 模块",
    "inception_total": (
        "{count} 个 Inception 模块共需 {macs} 次乘加；如果没有 1×1 降维，需要 {without}"
        "（{factor} 倍）。"),
    "inception_saving": (
        "{block}：{reductions} 个 1×1 降维卷积把乘加次数从 {without} 降到 {macs}"
        "（降为原来的 1/{factor}），卷积权重从 {params_without} 降到 {params}。"),
    "col_block": "模块",
    "col_macs_without": "去掉 1×1 降维后的 MACs",
    "col_factor": "节省倍数",
    "col_branch": "分支",
    "col_out_channels": "输出通道数",
    "col_share": "占模块计算量",
    # residual
    "sec_residual": "残差学习：恒等映射与 shortcut（ResNet）",
    "residual_intro": (
        "残差块的输出是 F(x) + x。当残差为 0 时，堆积层仅仅做了恒等映射，至少网络性能不会下降，"
        "梯度也能沿 shortcut 直接传回。当残差块改变了形状时，shortcut 不再是恒等映射，"
        "而是投影：一个 1×1 卷积，尺寸减半时步长为 2。"),
    "residual_none": "这次追踪中没有运行任何残差块。",
    "residual_counts": (
        "共 {total} 个残差块：{identity} 个是恒等映射 shortcut，{projection} 个是投影 shortcut，"
        "{pooled} 个的 shortcut 是平均池化后与主分支拼接，{none} 个没有 shortcut。"),
    "col_type": "类型",
    "col_shortcut": "shortcut",
    "col_profile": "形状",
    "shortcut_identity": "恒等映射",
    "shortcut_projection": "投影",
    "shortcut_none": "无",
    "shortcut_pooled": "平均池化后拼接",
    "profile_hourglass": "沙漏",
    "profile_spindle": "纺锤",
    "profile_flat": "等宽",
    "profile_intro": (
        "把主分支上的通道数画成一条带子：ResNet 的残差结构先降维再升维，像一个沙漏；"
        "MobileNet V2 的倒残差先升维再降维，像一个纺锤，两者刚好相反。"),
    "profile_title": "{profile}：{block}",
    "profile_title_contrast": "{profile}：{model} · {block}",
    "profile_contrast_tag": "（另一个模型，作对比）",
    "profile_contrast_note": (
        "{model} 没有{profile}形的块，所以图中放了 {other} 的 {block} 作对比；"
        "它的标题注明是另一个模型的。"),
    "profile_axis": "通道数（带宽）",
    # SE
    "sec_se": "SE：不改变 shape 的通道注意力（SENet）",
    "se_intro": (
        "SE 模块引入的是通道注意力机制：先用全局平均池化把每个通道压缩成一个数，"
        "再经过两个全连接层（先降到 c/r，ReLU，再升回 c，Sigmoid）得到每个通道的权重，"
        "然后与原来的输入逐通道相乘。输出和输入的 shape 保持一致，所以可以在网络中随意位置添加。"),
    "se_pick": "SE 模块",
    "se_input": "输入",
    "se_none": "这个模型本身没有 SE 模块；加上 SE 的代价：",
    "se_walk": "模块中 shape 的变化：{shapes}",
    "se_numbers": "c = {channels} 个通道，降到 c/r = {hidden}（r = {reduction}）。",
    "se_keeps_shape": "输出 shape 与输入 shape 完全一致 ✓",
    "se_changes_shape": "输出 shape 与输入 shape 不一致。",
    "col_step": "步骤",
    "col_op": "操作",
    "col_shape": "shape",
    "col_seed": "笔记中的写法",
    "se_cost_option": (
        "{model} 加 SE（{blocks} 个模块）：参数量 {params}，不加时 {params_without}"
        "（{params_delta}，{params_pct}）；乘加次数 {macs}，不加时 {macs_without}"
        "（{macs_delta}，{macs_pct}）。"),
    "se_cost_removed": (
        "{blocks} 个 SE 模块带来 {params_delta} 个参数（{params_pct}：{params}，"
        "把每个 SE 换成恒等映射后为 {params_without}）和 {macs_delta} 次乘加"
        "（{macs_pct}：{macs}，去掉后为 {macs_without}）。"),
    # depthwise
    "sec_depthwise": "深度可分离卷积（MobileNet）",
    "depthwise_intro": (
        "普通卷积层的特征提取与特征组合一次完成，每个卷积核都作用在所有输入通道上。"
        "深度可分离卷积把它拆成两步：深度卷积针对每个输入通道采用不同的卷积核（逐通道的操作），"
        "再用逐点卷积（1×1）把通道组合起来。下面用这个模型中真实的一层来追踪对比。"),
    "depthwise_none": "这个模型中没有后面紧跟 1×1 卷积的深度卷积。",
    "depthwise_pick": "深度卷积 → 1×1 卷积",
    "depthwise_grouped": (
        "这里深度卷积之后的 1×1 卷积本身也是分组卷积（g = {groups}，与 ShuffleNet 相同），"
        "它的计算量是逐点卷积的 1/g，比例变为 1/N + 1/(g·k²)。"),
    "depthwise_costs": (
        "输入 {shape}，M = {m} → N = {n} 个通道，k = {k}：普通卷积需要 {standard} 次乘加；"
        "深度卷积 {dw} + 逐点卷积 {pw} = {separable} 次乘加。"),
    "depthwise_equal": "实测比例与公式完全相等：乘加次数只有普通卷积的 1/{speedup}。",
    "depthwise_differ": "实测比例与公式不相等（乘加次数是普通卷积的 1/{speedup}）。",
    # shuffle
    "sec_shuffle": "通道混洗（ShuffleNet）",
    "shuffle_intro": (
        "分组卷积只在每一组内部混合通道。通道混洗把通道 reshape 成 (g, C/g)，转置后再展平，"
        "这样下一个分组卷积的每一组都能拿到前面每一组的通道，信息就能在组间流动。"
        "下图是把模型自己的通道混洗层作用在通道编号上的结果。"),
    "shuffle_model": (
        "这个模型有 {count} 次通道混洗；第一次把 {channels} 个通道分成 {groups} 组混洗。"
        "下图用同样的分组、但每组较少的通道（至少两个，这样通道才真正移动）来画，便于看清每条线。"),
    "shuffle_none": "这次追踪中没有运行任何通道混洗。",
    "shuffle_groups": "分组数 g",
    "shuffle_channels": "通道数 C",
    "shuffle_group": "第 {group} 组",
    "shuffle_title": "通道混洗：C = {channels}，g = {groups}",
    "shuffle_input": "输入通道",
    "shuffle_output": "输出位置",
    "shuffle_perm": "输出位置 j 取自输入通道：[{perm}]",
    # ghost
    "sec_ghost": "Ghost 模块（GhostNet）",
    "ghost_intro": (
        "训练好的网络中很多特征图彼此相似，像是彼此的“幻影”（ghost）。Ghost 模块只用普通卷积"
        "生成 n 个输出特征图中的 m = n/s 个，其余由廉价的深度卷积生成，"
        "计算量约为输出相同的普通卷积的 1/s。"),
    "ghost_none": "这次追踪中没有运行任何 Ghost 模块。",
    "col_ghost_macs": "Ghost 模块 MACs",
    "col_plain_macs": "普通卷积 MACs",
    "col_formula": "公式 s·c·k²/(c·k² + (s−1)·d²)",
    "ghost_total": (
        "{count} 个 Ghost 模块共需 {ghost} 次乘加；输出相同的普通卷积需要 {plain}（{factor} 倍）。"),
    "ghost_ratio": "比例 s",
    "ghost_line": (
        "c = {c} → n = {n} 个通道，尺寸 {size}×{size}，s = {s}（m = {m} 个本征特征图）："
        "普通卷积 {plain} 次乘加，Ghost 模块 {ghost} 次乘加——普通卷积的乘加次数是 Ghost 模块的 "
        "{factor} 倍，权重是 {params_factor} 倍；论文公式给出 {formula} 倍。"),
    # what-if
    "sec_whatif": "如果……会怎样",
    "whatif_intro": "改变论文中常调的一个参数，与侧边栏中当前设置的模型（同一输入）对比：每种情况都真实搭建并追踪。",
    "knob_resolution": "输入分辨率",
    "knob_width": "宽度系数",
    "knob_groups": "分组数 g",
    "knob_se": "加入 SE 模块",
    "knob_se_ratio": "SE 降维比例 r",
    "col_metric": "指标",
    "col_default": "当前",
    "col_changed": "修改后",
    "col_delta": "变化",
    "col_delta_pct": "变化 %",
    "whatif_setting": "当前输入 {base}；修改后输入 {changed}；选项：{options}。",
    "whatif_apply": "在所有标签页中显示",
    "whatif_apply_help": "把侧边栏设为这些选项，计算图、表格和图表都随之显示修改后的模型。",
}
