META
key;value
description;Moorfield fund: points
round;vector-cumulative
budget;1000000
vote_type;cumulative
PROJECTS
project_id;cost;name;organisation;area
p1;300000;Walking group for carers;Riverside Food Bank;Riverside
p2;250000;Clwb garddio cymunedol;Cymdeithas Tai Glan-yr-afon;Glan-yr-afon
p3;200000;پارک کی صفائی اور نئے جھولے;Northbridge Mosque Trust;Northbridge
p4;150000;Łódka dla seniorów;Fundacja Żółty Dom;Moorfield
p5;120000;Men's shed workshop;Moorfield Harriers;Moorfield
p6;90000;Youth cookery club;Riverside Food Bank;Riverside
VOTES
voter_id;vote;points;sequence;channel
7b614e428a186f4a4c116daf499fd7e8;p2,p5;9,1;1;online
0dfe1faf422d50cd2d186ed9b9e4d6e3;p2,p3;8,2;2;online
9d9e8b2f0d1ceaa692e3053b0f238baa;p6,p5;2,8;3;online
a045ac2590eb85de2147a439c8c415a4;p5,p1;8,2;4;online
8df8e8bbfcc0f72f1ca45521a2b52112;p3,p5;4,6;5;paper
5f3e0488acbb85d8c7a4c2366e25a4be;p2,p4;9,1;6;online
10a06e4bed5fac076a0c7c6e81fa5420;p5,p4;7,3;7;online
38a870d6ca2925af203ec09bc05e7dff;p6,p2;4,6;8;online
4bd7b103ca9e33fe783e9d4625069ad5;p6,p2;9,1;9;online
cbce8e25df54bf151f840cdfb4c84acb;p4,p1;2,8;10;paper
58184bcf53076be3e61559ce18f22f43;p2,p5;1,9;11;online
cdad8cd3fb0d797339f2a7be3dd7cf6f;p3,p1;5,5;12;online
01dc06f38fbdb623fb8b34cbf00984e0;p4,p5;7,3;13;online
359db741f796115b629a95d9b83fe93b;p6,p4;7,3;14;online
40f99d7ced1bf3e5a8ee47c1a550b98c;p6,p5;8,2;15;paper
0c636b9096713efbf6ccf86d1cdab4ab;p2,p3;2,8;16;online
01623c5d39377de314d5086e28377ea3;p1,p2;8,2;17;online
32aa5250ae99bea7e54e0b1e43189258;p2,p3;7,3;18;online
632ad4d1bea13c988fad5acc87b73fa2;p6,p3;7,3;19;online
259a55fc26bf4c43904ee0b098ddc872;p5,p4;6,4;20;paper
43c7e18d52df769c20e597bfaf27b6fc;p5,p6;7,3;21;online
afc68522e3b8bc708b2d44ad8a679cba;p5,p2;6,4;22;online
d0a8827126b8358981de372de134164b;p6,p1;5,5;23;online
d456df3322f1ed2d6b3acf859919335b;p5,p2;6,4;24;online
1e0ad940823c015f431b9f7554da0243;p5,p6;2,8;25;paper
ccf7019b7b09b747c45a5065d607a7e3;p6,p2;5,5;26;online
6bdc7a21338bc3932ed0a87d1489ce8c;p3,p1;2,8;27;online
1041463c8034bb90256a553c2a9bf9e2;p4,p6;2,8;28;online
88b7c831528b98b39d01cf5d13dc8f21;p3,p1;7,3;29;online
9b33c21245702d6e1420b7a6ccc60ba1;p2,p1;5,5;30;paper
